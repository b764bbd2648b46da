import Decimal from 'decimal.js';
import { formatMoney } from '../../ledger/money';

/** One place a payment can draw from, in the order it should be drawn. */
export interface FundingSource {
  wallet: 'discount' | 'subsidy' | 'cash';
  accountId: string;
  programId?: string;
  /** What this source can give: a wallet's balance, or a discount's amount. */
  available: Decimal;
}

export interface FundingLine {
  wallet: FundingSource['wallet'];
  accountId: string;
  programId?: string;
  amount: Decimal;
}

/**
 * Splits an amount over sources in order: discounts the merchant qualifies for, then
 * subsidy wallets by earliest expiry, then cash (the caller orders them). Returns null
 * when the sources together cannot cover it: a payment is never partly paid.
 */
export function planFunding(amount: Decimal, sources: FundingSource[]): FundingLine[] | null {
  const lines: FundingLine[] = [];
  let left = amount;
  for (const s of sources) {
    if (left.isZero()) break;
    const take = Decimal.min(left, s.available);
    if (take.lte(0)) continue;
    lines.push({ wallet: s.wallet, accountId: s.accountId, ...(s.programId ? { programId: s.programId } : {}), amount: take });
    left = left.minus(take);
  }
  return left.isZero() ? lines : null;
}

/** Funding as the contract prints it: no account ids, amounts as strings. */
export function fundingView(lines: FundingLine[]) {
  return lines.map((l) => ({ wallet: l.wallet, ...(l.programId ? { programId: l.programId } : {}), amount: formatMoney(l.amount) }));
}

/**
 * Where a refund goes: back to the lines the payment drew from, last drawn first (cash
 * before subsidies, so the restricted, expiring money is the last to be handed back),
 * never more per line than that line paid minus what earlier refunds gave back.
 */
export function planRefund(amount: Decimal, paid: FundingLine[], alreadyRefunded: FundingLine[]): FundingLine[] | null {
  const lines: FundingLine[] = [];
  let left = amount;
  for (const line of [...paid].reverse()) {
    if (left.isZero()) break;
    const back = alreadyRefunded.filter((r) => r.accountId === line.accountId).reduce((sum, r) => sum.plus(r.amount), new Decimal(0));
    const take = Decimal.min(left, line.amount.minus(back));
    if (take.lte(0)) continue;
    lines.push({ ...line, amount: take });
    left = left.minus(take);
  }
  return left.isZero() ? lines : null;
}
