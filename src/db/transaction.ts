import type { Knex } from 'knex';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/**
 * Runs `work` in a database transaction, retrying the whole transaction when
 * PostgreSQL aborts it for a serialization failure or a deadlock. `work` must
 * therefore only touch the database through `trx` (and be safe to run again).
 */
export async function inTransaction<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await knex.transaction(work);
    } catch (err) {
      if (attempt >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, attempt * 5 * Math.random()));
    }
  }
}
