import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { types as pgTypes } from 'pg';

/**
 * Both modes return bigints as strings (pg's default) and dates as 'YYYY-MM-DD'
 * strings: a birth date is a calendar day, not an instant in the server's time zone.
 */
pgTypes.setTypeParser(pgTypes.builtins.INT8, (v) => v);
pgTypes.setTypeParser(pgTypes.builtins.DATE, (v) => v);

export interface DatabaseOptions {
  /** A PostgreSQL server; when absent, the embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  poolMax: number;
  /**
   * Server only: every pool connection does `SET ROLE` to this role once connected, so the
   * service serves with that role's privileges (src/db/open-database.ts decides).
   */
  role?: string;
}

export function createKnex(options: DatabaseOptions): Knex {
  return options.databaseUrl ? serverKnex(options.databaseUrl, options.poolMax, options.role) : embeddedKnex(options.dataDir);
}

export function isEmbedded(knex: Knex): boolean {
  return knex.client instanceof (ClientPgLite as unknown as new (...args: never[]) => object);
}

function serverKnex(url: string, poolMax: number, role?: string): Knex {
  // Timestamps are hashed into the ledger chain as text, so every session must agree on UTC.
  const setup = `SET TIME ZONE 'UTC'${role ? `; SET ROLE ${quoteIdentifier(role)}` : ''}`;
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'community-card' },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: (conn: { query: (sql: string, cb: (err?: Error) => void) => void }, done: (err?: Error) => void) =>
        conn.query(setup, (err) => done(err)),
    },
    acquireConnectionTimeout: 30000,
  });
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** DATA_DIR holds the database in `pgdata/` next to the service's own files (its keys). */
function embeddedKnex(dataDir: string): Knex {
  const dir = resolve(dataDir, 'pgdata');
  // PGlite creates the data folder itself but not its parents.
  mkdirSync(resolve(dataDir), { recursive: true });
  const pglite = new PGlite(dir, { parsers: { [types.INT8]: (v: string) => v, [types.DATE]: (v: string) => v } });
  // LISTEN here, on the one session there is, before any transaction could swallow it.
  const ready = pglite.waitReady.then(() => pglite.exec(`SET TIME ZONE 'UTC'; ${EMBEDDED_CHANNELS.map((c) => `LISTEN ${c};`).join(' ')}`));
  return knexFactory({
    client: ClientPgLite as unknown as Knex.Config['client'],
    dialect: 'postgres',
    connection: () => ({ pglite: withReady(pglite, ready) }) as never,
  });
}

/** Channels the embedded database listens on from its start (a server gets its own listening client). */
const EMBEDDED_CHANNELS = ['access_changes'];

/** Subscribes to NOTIFY on the embedded database; returns the unsubscribe function. */
export function onEmbeddedNotification(knex: Knex, listener: (channel: string, payload: string) => void): () => void {
  const { pglite } = (knex.client.config.connection as () => { pglite: PGlite })();
  return pglite.onNotification(listener);
}

/** knex-pglite awaits `waitReady` before each use; make that include our session setup. */
function withReady(pglite: PGlite, ready: Promise<unknown>): PGlite {
  Object.defineProperty(pglite, 'waitReady', { get: () => ready, configurable: true });
  return pglite;
}
