import type { Account } from '../../ledger/types';

/**
 * The service's chart of accounts. Ids are readable ("cash:<resident>") so that a
 * ledger row tells an auditor what it is without a join.
 */
export const CASH_DESK = 'system:cash_desk';

export function cashWalletId(residentId: string): string {
  return `cash:${residentId}`;
}

export function cashWallet(residentId: string): Account {
  return { id: cashWalletId(residentId), ownerType: 'resident', ownerId: residentId, kind: 'cash_wallet', currency: 'CNY', mayGoNegative: false };
}

/** What the service owes a merchant; credited by every payment, so it is a hot (sharded) account. */
export function merchantAccountId(merchantId: string): string {
  return `merchant:${merchantId}`;
}

export function merchantAccount(merchantId: string): Account {
  return { id: merchantAccountId(merchantId), ownerType: 'merchant', ownerId: merchantId, kind: 'merchant', currency: 'CNY', mayGoNegative: true };
}
