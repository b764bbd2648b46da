import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../ledger/money';
import { programAccountId } from '../ledger/accounts';
import { ledgerFor } from '../ledger/ledger-for';
import { SubsidiesRepository } from './subsidies.repository';

export interface SweepResult {
  programId: string;
  wallets: number;
  amount: string;
}

/**
 * Returns the money of a program's expired lots to its budget, in one transfer. The
 * lots are locked first, so a sweep running twice (or on two instances) moves each
 * yuan once: the second finds the balances already at zero.
 */
export async function sweepProgram(trx: Knex.Transaction, programs: SubsidiesRepository, programId: string): Promise<SweepResult> {
  const expired = await programs.expiredWithMoney(trx, programId);
  const ledger = ledgerFor(trx);
  const balances = await ledger.lockBalances(expired);
  const lines = expired.map((id) => ({ accountId: id, amount: balances.get(id)! })).filter((l) => l.amount.gt(0));
  const total = lines.reduce((sum, l) => sum.plus(l.amount), new Decimal(0));
  if (lines.length > 0) {
    await ledger.postOne({
      id: randomUUID(),
      kind: 'subsidy_expiry',
      postings: [...lines.map((l) => ({ accountId: l.accountId, amount: l.amount.negated() })), { accountId: programAccountId(programId), amount: total }],
      metadata: { programId },
    });
  }
  return { programId, wallets: lines.length, amount: formatMoney(total) };
}
