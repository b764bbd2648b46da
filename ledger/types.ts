import type Decimal from 'decimal.js';
import type { LedgerErrorCode } from './errors';

export const CURRENCY = 'CNY';

export interface Account {
  id: string;
  /** Who the account belongs to, e.g. ('resident', id) or ('system', 'treasury'). */
  ownerType: string;
  ownerId: string;
  /** What the account is for, e.g. 'cash_wallet', 'merchant', 'cash_desk'. */
  kind: string;
  currency: typeof CURRENCY;
  /**
   * Wallets may never go below zero; clearing and funding accounts (a cash desk,
   * the treasury) legitimately do, and are the hot accounts many writers credit.
   */
  mayGoNegative: boolean;
}

/** One line of a transfer. Positive amounts raise the account's balance, negative lower it. */
export interface Posting {
  accountId: string;
  amount: Decimal;
}

export interface Transfer {
  /** Chosen by the caller, so a retried transfer is recognised (TigerBeetle's `exists`). */
  id: string;
  kind: string;
  postings: Posting[];
  metadata?: Record<string, unknown>;
}

export type TransferResult =
  | { id: string; ok: true; replayed: boolean }
  | { id: string; ok: false; code: LedgerErrorCode; accountId?: string };

/** A transfer as the store keeps it: with the fingerprint of its body. */
export interface StoredTransfer extends Transfer {
  bodyHash: string;
}
