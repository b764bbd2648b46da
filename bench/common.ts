import type { Knex } from 'knex';
import type { ScratchDatabases } from './ledger/databases';

/** A knex pool on one scratch database for the length of `work`. */
export async function withPool<T>(dbs: ScratchDatabases, database: string, poolMax: number, work: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = dbs.connect(database, poolMax);
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

/** A URL fit for a report: the password, if any, replaced. */
export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}
