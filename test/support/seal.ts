import type { Knex } from 'knex';
import { sealPending } from '../../src/ledger/sealer';

/**
 * Seals until every transaction of this database is in the chain. On a shared server
 * the sealer waits for write transactions of other databases too (xids are
 * cluster-wide), so one pass may not reach the end while other test files run.
 */
export async function sealEverything(knex: Knex): Promise<void> {
  for (let pass = 0; pass < 400; pass++) {
    await sealPending(knex);
    const { rows } = await knex.raw(
      'SELECT count(*)::int AS n FROM ledger_transactions t WHERE NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.transaction_id = t.id)',
    );
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the ledger did not get sealed');
}
