import type Decimal from 'decimal.js';
import type { Account, StoredTransfer } from './types';

/**
 * What the ledger needs from storage. One store object works inside one database
 * transaction: everything a call to `Ledger.post` reads and writes commits or rolls
 * back together.
 */
export interface LedgerStore {
  /** Inserts accounts that do not exist yet; existing ids are left as they are. */
  insertAccounts(accounts: Account[]): Promise<void>;
  findAccounts(ids: string[]): Promise<Account[]>;
  /**
   * Locks the balances of accounts that may not go negative, in a fixed order so
   * concurrent writers cannot deadlock, and returns them. Until commit no other
   * writer can change them.
   */
  lockBalances(accountIds: string[]): Promise<Map<string, Decimal>>;
  /** Body fingerprints of transfers that already exist, by id. */
  findTransferHashes(ids: string[]): Promise<Map<string, string>>;
  /**
   * Appends transfers and applies the net change of each account's balance. Called
   * once per `post`, with every accepted transfer, so the store can write set-based.
   */
  append(transfers: StoredTransfer[], deltas: Map<string, Decimal>): Promise<void>;
  /**
   * Appends one transfer that debits `from` and credits every account in `to` (all
   * new, opened here) with the same amount: a disbursement to many wallets at once.
   * The new accounts start at that amount, so nothing but `from` needs a lock.
   */
  appendFanOut(transfer: StoredTransfer, to: Account[], each: Decimal): Promise<void>;
  /** Current balances (zero for accounts never touched). */
  balances(accountIds: string[]): Promise<Map<string, Decimal>>;
}
