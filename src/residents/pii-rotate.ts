import { configFromProcessEnv } from '../config/app-config';
import { loadSecrets } from '../config/secrets';
import { createKnex } from '../db/knex';
import { pendingMigrations } from '../db/migrations';
import { rotatePii } from './pii-maintenance';
import { ResidentPii } from './resident-pii';

/**
 * `npm run pii:rotate`: re-encrypts every resident's ID number and phone under the current
 * (first) key of PII_KEYS, with the same configuration as the service. Safe to run while
 * the service runs on a PostgreSQL server, and to run again. Exits 1 if values under
 * another key remain (then an instance still runs with the old PII_KEYS: restart it, run again).
 */
async function main(): Promise<void> {
  const config = configFromProcessEnv();
  const secrets = loadSecrets(config);
  const knex = createKnex({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    if ((await pendingMigrations(knex)) > 0) throw new Error('the database has pending migrations: run npm run migrate (or start the service) first');
    const report = await rotatePii(knex, new ResidentPii(secrets.idNumberKey, secrets.piiKeys));
    const counts = Object.entries(report.byKey).map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
    console.log(`current key: ${report.currentKey}`);
    console.log(`encrypted ${report.plaintextRows} residents still in plaintext; re-encrypted ${report.reencryptedRows} residents`);
    console.log(`stored values per key: ${counts}`);
    const others = secrets.piiKeys.ids.filter((k) => k !== report.currentKey);
    if (report.stale > 0) {
      console.error(`${report.stale} values are still under other keys (written meanwhile by an instance with an older PII_KEYS?): restart every instance with the new PII_KEYS and run this again`);
      process.exitCode = 1;
    } else if (others.length > 0) {
      console.log(`nothing is stored under ${others.join(', ')} any more: remove ${others.length > 1 ? 'them' : 'it'} from PII_KEYS and restart`);
    }
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
