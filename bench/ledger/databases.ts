import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { urlForDatabase } from './options';

/** Only names this bench made up may ever be created or dropped. */
const SCRATCH_NAME = /^ccard_(bench|pgbench)_[a-z0-9_]+$/;

/**
 * Creates and drops the bench's own databases through a connection to the
 * maintenance database, and remembers what it created so a failed run still
 * cleans up after itself.
 */
export class ScratchDatabases {
  private readonly admin: Knex;
  private readonly created = new Set<string>();

  constructor(private readonly serverUrl: string) {
    this.admin = createKnex({ databaseUrl: serverUrl, dataDir: '', poolMax: 1 });
  }

  async create(name: string): Promise<string> {
    if (!SCRATCH_NAME.test(name)) throw new Error(`refusing to create database ${name}`);
    await this.admin.raw(`CREATE DATABASE ${name}`);
    this.created.add(name);
    return name;
  }

  /** A pool on one of the scratch databases, sized so every writer has its own connection. */
  connect(name: string, poolMax: number): Knex {
    if (!this.created.has(name)) throw new Error(`${name} is not a scratch database of this run`);
    return createKnex({ databaseUrl: urlForDatabase(this.serverUrl, name), dataDir: '', poolMax });
  }

  /** Facts about the server every bench result should carry. */
  async serverFacts(): Promise<{ serverVersion: string; synchronousCommit: string; maxConnections: string }> {
    const show = async (setting: string) => ((await this.admin.raw(`SHOW ${setting}`)) as { rows: Record<string, string>[] }).rows[0][setting];
    return { serverVersion: await show('server_version'), synchronousCommit: await show('synchronous_commit'), maxConnections: await show('max_connections') };
  }

  /** Deadlocks PostgreSQL counted in a database (stats are flushed when its sessions end). */
  async deadlocks(name: string): Promise<number> {
    const { rows } = (await this.admin.raw('SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = ?', [name])) as { rows: { n: string }[] };
    return Number(rows[0]?.n ?? 0);
  }

  /** A checkpoint before each measurement, so no scenario pays for the previous one's dirty pages. */
  async checkpoint(): Promise<void> {
    await this.admin.raw('CHECKPOINT');
  }

  async drop(name: string): Promise<void> {
    if (!this.created.has(name)) throw new Error(`${name} is not a scratch database of this run`);
    // FORCE: a run that failed half-way may leave sessions behind on its own database.
    await this.admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    this.created.delete(name);
  }

  async dropAll(): Promise<void> {
    for (const name of [...this.created]) {
      try {
        await this.drop(name);
      } catch (err) {
        console.error(`could not drop ${name}: ${(err as Error).message}`);
      }
    }
    await this.admin.destroy();
  }
}
