import type { Knex } from 'knex';
import { Client } from 'pg';
import type { AppConfig } from '../config/app-config';
import { createKnex, quoteIdentifier, type DatabaseOptions } from './knex';
import { migrateLatest } from './migrations';

/** The group role the service serves as: migrations/20261202000003_db_roles.ts grants it. */
export const SERVICE_ROLE = 'ccard_app';

/** Where migrations run: DATABASE_MIGRATION_URL (the schema owner) when set, else DATABASE_URL. */
export function migrationDatabase(config: AppConfig): DatabaseOptions {
  return { databaseUrl: config.databaseMigrationUrl ?? config.databaseUrl, dataDir: config.dataDir, poolMax: 2 };
}

export interface OpenDatabaseLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Migrates the database, then opens the service's pool.
 *
 * On a server, migrations run over a pool of their own (DATABASE_MIGRATION_URL, else
 * DATABASE_URL) that is closed before serving. The service's pool connects with
 * DATABASE_URL and, when that login may (a superuser, or a member of ccard_app), does
 * `SET ROLE ccard_app` on every connection: so even the one-URL setup serves without
 * UPDATE/DELETE/TRUNCATE on the journal and without DDL. SET ROLE guards against the
 * service's own mistakes, not against injected SQL (`RESET ROLE` undoes it); a login role
 * of its own (DATABASE_URL, with DATABASE_MIGRATION_URL for the owner) is the real wall.
 *
 * On the embedded PGlite the one session migrates and serves as its one user. SET ROLE
 * works there, but is not done: the database is a folder that the process itself owns,
 * its only session is shared with whatever else the process runs (test fixtures,
 * benchmarks), and the journal's triggers already stop the service's own mistakes.
 */
export async function openDatabase(config: AppConfig, logger: OpenDatabaseLog): Promise<Knex> {
  if (!config.databaseUrl) {
    const knex = createKnex({ dataDir: config.dataDir, poolMax: config.dbPoolMax });
    try {
      await migrateLatest(knex);
    } catch (err) {
      await knex.destroy();
      throw err;
    }
    return knex;
  }

  const migrator = createKnex(migrationDatabase(config));
  try {
    await migrateLatest(migrator);
  } finally {
    await migrator.destroy();
  }

  const role = (await mayServeAs(config.databaseUrl, SERVICE_ROLE)) ? SERVICE_ROLE : undefined;
  if (role) logger.log(`serving as database role ${role}`);
  else {
    logger.warn(
      `the DATABASE_URL login may not SET ROLE ${SERVICE_ROLE}: serving with its own privileges ` +
        `(GRANT ${SERVICE_ROLE} TO it, or give the service a login role of its own: README, restricted roles)`,
    );
  }
  return createKnex({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.dbPoolMax, role });
}

/** Whether the login of `url` may `SET ROLE role`: tried, in a transaction that is rolled back. */
export async function mayServeAs(url: string, role: string): Promise<boolean> {
  const client = new Client({ connectionString: url, application_name: 'community-card' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${quoteIdentifier(role)}`);
    return true;
  } catch (err) {
    // 42501: not a member (or, from PostgreSQL 16, a member without SET); 22023: no such role.
    if (['42501', '22023'].includes((err as { code?: string }).code ?? '')) return false;
    throw err;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}
