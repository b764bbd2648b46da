import { configFromProcessEnv } from '../config/app-config';
import { createKnex } from './knex';
import { migrateLatest } from './migrations';
import { migrationDatabase } from './open-database';

/**
 * `npm run migrate`: applies pending migrations to the configured database and exits,
 * over DATABASE_MIGRATION_URL (the schema owner) when set, else DATABASE_URL.
 */
async function main(): Promise<void> {
  const config = configFromProcessEnv();
  const knex = createKnex(migrationDatabase(config));
  try {
    const applied = await migrateLatest(knex);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
