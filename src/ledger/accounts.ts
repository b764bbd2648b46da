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

/** The district's treasury, which funds every program's budget. */
export const TREASURY = 'system:treasury';

/** A program's budget: it may never go below zero, so a disbursement or discount it cannot cover does not happen. */
export function programAccount(programId: string): Account {
  return { id: `program:${programId}`, ownerType: 'program', ownerId: programId, kind: 'program_budget', currency: 'CNY', mayGoNegative: false };
}

export const programAccountId = (programId: string) => `program:${programId}`;

/** One resident's lot of one disbursement: restricted to the program's categories, expiring with the lot. */
export function subsidyWallet(disbursementId: string, residentId: string): Account {
  return { id: `subsidy:${disbursementId}:${residentId}`, ownerType: 'resident', ownerId: residentId, kind: 'subsidy_wallet', currency: 'CNY', mayGoNegative: false };
}
