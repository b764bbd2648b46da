import type { Knex } from 'knex';
import { Ledger } from '../../ledger/ledger';
import { KnexLedgerStore } from './knex-ledger.store';

/** The ledger working inside the caller's database transaction. */
export function ledgerFor(trx: Knex.Transaction): Ledger {
  return new Ledger(new KnexLedgerStore(trx));
}
