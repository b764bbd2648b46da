import type { Account } from '../../ledger/types';

export const PAYEES = ['water', 'electricity', 'gas', 'property'] as const;
export type Payee = (typeof PAYEES)[number];

/** What the service owes a utility (or the property manager) for the bills it collected. */
export function payeeAccountId(payee: Payee): string {
  return `payee:${payee}`;
}

/** Payee accounts only receive, and every bill payment credits one, so they are hot (sharded) accounts. */
export function payeeAccount(payee: Payee): Account {
  return { id: payeeAccountId(payee), ownerType: 'payee', ownerId: payee, kind: 'payee', currency: 'CNY', mayGoNegative: true };
}
