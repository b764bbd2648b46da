import { randomBytes } from 'node:crypto';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { createKnex } from '../../src/db/knex';
import { TEST_SERVICE_LOGIN, withDatabase, withUser } from './global-setup';
import { readTestEnv } from './test-env';

/** A database of a test file's own, copied from the migrated template. */
export interface TestDatabase {
  mode: 'server' | 'embedded';
  /** server: the owner's URL (the test's own setup, factories and migrations). */
  databaseUrl?: string;
  /**
   * server: the same database as the restricted login role TEST_SERVICE_LOGIN (a member
   * of ccard_app, no rights of its own), which the test apps serve as.
   */
  serviceUrl?: string;
  dataDir: string;
  /**
   * A knex for this database, already connected (PGlite loads its modules while opening,
   * which jest only allows inside a hook or test). Embedded PGlite allows one
   * connection, so a test that also starts the app uses the app's knex instead.
   */
  connect(): Promise<Knex>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const env = readTestEnv();
  const name = `ccard_t_${randomBytes(6).toString('hex')}`;
  const dataDir = join(env.workDir, name);
  if (env.mode === 'embedded') {
    cpSync(env.templateDir!, dataDir, { recursive: true });
    return {
      mode: 'embedded',
      dataDir,
      connect: () => connected(createKnex({ dataDir, poolMax: 1 })),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  await serverQuery(env.serverUrl!, `CREATE DATABASE ${name} TEMPLATE ${env.templateDb}`);
  const databaseUrl = withDatabase(env.serverUrl!, name);
  return {
    mode: 'server',
    databaseUrl,
    serviceUrl: withUser(databaseUrl, TEST_SERVICE_LOGIN, env.containerId ? new URL(env.serverUrl!).password : ''),
    dataDir,
    connect: () => connected(createKnex({ databaseUrl, dataDir, poolMax: 40 })),
    drop: () => serverQuery(env.serverUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on the server's maintenance database, retrying while the template is briefly busy. */
async function serverQuery(url: string, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
      return;
    } catch (err) {
      // 55006: the template is being accessed by another worker's CREATE DATABASE.
      if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
    } finally {
      await client.end();
    }
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

async function connected(knex: Knex): Promise<Knex> {
  await knex.raw('SELECT 1');
  return knex;
}
