import type { Knex } from 'knex';
import { Ledger } from '../../ledger/ledger';
import { KnexLedgerStore } from './knex-ledger.store';

/**
 * The ledger working inside the caller's database transaction. Callers that run
 * several transactions at once pass each its own hot-account shard, so that they
 * never wait on one another's balance rows.
 */
export function ledgerFor(trx: Knex.Transaction, shard?: number): Ledger {
  return new Ledger(new KnexLedgerStore(trx, shard));
}
