import Decimal from 'decimal.js';
import { formatMoney } from '../../ledger/money';
import { fundingView, type FundingLine } from './funding';

export type DeclineCode = 'unknown_card' | 'card_not_active' | 'insufficient_funds';

/** Funding lines as stored in the payments table (jsonb), with the accounts they drew on. */
export interface StoredFundingLine {
  wallet: FundingLine['wallet'];
  accountId: string;
  programId?: string;
  amount: string;
}

export interface PaymentRow {
  id: string;
  merchant_id: string;
  uid: string;
  card_id: string | null;
  resident_id: string | null;
  amount: string;
  status: 'approved' | 'declined';
  decline_code: DeclineCode | null;
  description: string | null;
  funding: StoredFundingLine[];
  created_at: Date;
  refunded?: string;
}

export const toStoredFunding = (lines: FundingLine[]): StoredFundingLine[] =>
  lines.map((l) => ({ wallet: l.wallet, accountId: l.accountId, ...(l.programId ? { programId: l.programId } : {}), amount: formatMoney(l.amount) }));

export const fromStoredFunding = (lines: StoredFundingLine[]): FundingLine[] => lines.map((l) => ({ ...l, amount: new Decimal(l.amount) }));

export function paymentView(p: PaymentRow) {
  return {
    id: p.id,
    status: p.status,
    amount: formatMoney(new Decimal(p.amount)),
    uid: p.uid,
    cardId: p.card_id,
    merchantId: p.merchant_id,
    ...(p.description ? { description: p.description } : {}),
    funding: fundingView(fromStoredFunding(p.funding)),
    ...(p.decline_code ? { declineCode: p.decline_code } : {}),
    refunded: formatMoney(new Decimal(p.refunded ?? '0')),
    createdAt: p.created_at.toISOString(),
  };
}

export type PaymentView = ReturnType<typeof paymentView>;
