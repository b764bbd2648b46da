import Decimal from 'decimal.js';
import { canonicalJson, sha256Hex } from './canonical';
import { LedgerError, type LedgerErrorCode } from './errors';
import { formatMoney, isFen } from './money';
import type { LedgerStore } from './store';
import { CURRENCY, type Account, type StoredTransfer, type Transfer, type TransferResult } from './types';

export interface PostOptions {
  /**
   * The caller has just generated every id (random UUIDs), so none can be a retry and
   * the look-up for earlier transfers is skipped. A duplicate would still be refused
   * by the store's primary key.
   */
  newIds?: boolean;
}

/**
 * The double-entry rules, independent of storage. `post` takes many transfers at
 * once so that callers can share one database transaction between them; each
 * transfer still succeeds or fails on its own.
 */
export class Ledger {
  constructor(private readonly store: LedgerStore) {}

  /** Opens accounts; opening an existing account with the same attributes is a no-op. */
  async openAccounts(accounts: Account[]): Promise<void> {
    for (const a of accounts) {
      if (a.currency !== CURRENCY) throw new LedgerError('currency_mismatch', `account ${a.id} is not in ${CURRENCY}`, a.id);
    }
    await this.store.insertAccounts(accounts);
    const existing = new Map((await this.store.findAccounts(accounts.map((a) => a.id))).map((a) => [a.id, a]));
    for (const a of accounts) {
      const stored = existing.get(a.id);
      if (!stored || accountFingerprint(stored) !== accountFingerprint(a)) {
        throw new LedgerError('exists_with_different_body', `account ${a.id} exists with other attributes`, a.id);
      }
    }
  }

  /** Posts one transfer and throws its error code if it is not accepted. */
  async postOne(transfer: Transfer): Promise<{ replayed: boolean }> {
    const [result] = await this.post([transfer]);
    if (!result.ok) throw new LedgerError(result.code, describe(result.code, result.accountId), result.accountId);
    return { replayed: result.replayed };
  }

  /**
   * Posts transfers in order. A transfer is accepted only if it is well formed, its
   * accounts exist, and no account that may not go negative would end below zero
   * after it (counting the transfers before it in the same call).
   */
  async post(transfers: Transfer[], options: PostOptions = {}): Promise<TransferResult[]> {
    const results = new Map<number, TransferResult>();
    const candidates: { index: number; transfer: StoredTransfer }[] = [];
    transfers.forEach((t, index) => {
      const problem = checkShape(t);
      if (problem) results.set(index, { id: t.id, ok: false, code: problem });
      else candidates.push({ index, transfer: { ...t, bodyHash: transferFingerprint(t) } });
    });

    const { fresh, repeats } = options.newIds ? { fresh: candidates, repeats: new Map<number, number>() } : await this.dropRetries(candidates, results);
    const accounts = await this.accountsOf(fresh.map((c) => c.transfer));
    const guarded = [...accounts.values()].filter((a) => !a.mayGoNegative).map((a) => a.id);
    const working = await this.store.lockBalances(guarded);

    const accepted: StoredTransfer[] = [];
    const deltas = new Map<string, Decimal>();
    for (const { index, transfer } of fresh) {
      const outcome = this.apply(transfer, accounts, working);
      results.set(index, outcome);
      if (!outcome.ok) continue;
      accepted.push(transfer);
      for (const p of transfer.postings) deltas.set(p.accountId, (deltas.get(p.accountId) ?? new Decimal(0)).plus(p.amount));
    }
    if (accepted.length > 0) await this.store.append(accepted, deltas);
    for (const [index, firstIndex] of repeats) {
      const first = results.get(firstIndex)!;
      results.set(index, first.ok ? { ...first, replayed: true } : first);
    }
    return transfers.map((_, i) => results.get(i)!);
  }

  /**
   * Credits the same amount to many new accounts from one account, as one transfer,
   * written set-based: district-wide disbursements are one transaction, not one per
   * resident. Throws insufficient_funds when `from` may not go negative and cannot cover it.
   */
  async fanOut(spec: { id: string; kind: string; from: string; to: Account[]; each: Decimal; metadata?: Record<string, unknown> }): Promise<void> {
    const { from, to, each } = spec;
    if (to.length === 0) throw new LedgerError('too_few_postings', 'a fan-out needs at least one recipient');
    if (!isFen(each) || !each.gt(0)) throw new LedgerError('invalid_amount', 'amounts must be positive yuan with at most two decimals');
    if (to.some((a) => a.currency !== CURRENCY)) throw new LedgerError('currency_mismatch', `recipients must be in ${CURRENCY}`);
    const total = each.times(to.length);
    const [source] = await this.store.findAccounts([from]);
    if (!source) throw new LedgerError('account_not_found', describe('account_not_found', from), from);
    if (!source.mayGoNegative && (await this.store.lockBalances([from])).get(from)!.lt(total)) {
      throw new LedgerError('insufficient_funds', describe('insufficient_funds', from), from);
    }
    const transfer: Transfer = {
      id: spec.id,
      kind: spec.kind,
      postings: [{ accountId: from, amount: total.negated() }, ...to.map((a) => ({ accountId: a.id, amount: each }))],
      metadata: spec.metadata,
    };
    await this.store.appendFanOut({ ...transfer, bodyHash: transferFingerprint(transfer) }, to, each);
  }

  balances(accountIds: string[]): Promise<Map<string, Decimal>> {
    return this.store.balances(accountIds);
  }

  /**
   * Locks accounts that may not go negative and returns their balances, for a caller
   * that must move exactly what is there (paying out a wallet when a card is closed).
   * The locks hold until the caller's transaction ends.
   */
  lockBalances(accountIds: string[]): Promise<Map<string, Decimal>> {
    return this.store.lockBalances([...new Set(accountIds)]);
  }

  /**
   * A transfer id seen before is a retry: same body replays, another body is refused.
   * A repeat inside the same call takes the outcome of its first occurrence.
   */
  private async dropRetries(
    candidates: { index: number; transfer: StoredTransfer }[],
    results: Map<number, TransferResult>,
  ): Promise<{ fresh: { index: number; transfer: StoredTransfer }[]; repeats: Map<number, number> }> {
    const known = await this.store.findTransferHashes(candidates.map((c) => c.transfer.id));
    const firstInCall = new Map<string, { index: number; bodyHash: string }>();
    const fresh: { index: number; transfer: StoredTransfer }[] = [];
    const repeats = new Map<number, number>();
    for (const c of candidates) {
      const { id, bodyHash } = c.transfer;
      const stored = known.get(id);
      const first = firstInCall.get(id);
      if (stored !== undefined) {
        results.set(c.index, stored === bodyHash ? { id, ok: true, replayed: true } : { id, ok: false, code: 'exists_with_different_body' });
      } else if (first !== undefined) {
        if (first.bodyHash === bodyHash) repeats.set(c.index, first.index);
        else results.set(c.index, { id, ok: false, code: 'exists_with_different_body' });
      } else {
        firstInCall.set(id, { index: c.index, bodyHash });
        fresh.push(c);
      }
    }
    return { fresh, repeats };
  }

  private async accountsOf(transfers: Transfer[]): Promise<Map<string, Account>> {
    const ids = [...new Set(transfers.flatMap((t) => t.postings.map((p) => p.accountId)))];
    return new Map((await this.store.findAccounts(ids)).map((a) => [a.id, a]));
  }

  private apply(transfer: StoredTransfer, accounts: Map<string, Account>, working: Map<string, Decimal>): TransferResult {
    const id = transfer.id;
    const net = new Map<string, Decimal>();
    for (const p of transfer.postings) {
      if (!accounts.has(p.accountId)) return { id, ok: false, code: 'account_not_found', accountId: p.accountId };
      net.set(p.accountId, (net.get(p.accountId) ?? new Decimal(0)).plus(p.amount));
    }
    for (const [accountId, change] of net) {
      const current = working.get(accountId);
      if (current !== undefined && current.plus(change).isNegative()) {
        return { id, ok: false, code: 'insufficient_funds', accountId };
      }
    }
    for (const [accountId, change] of net) {
      const current = working.get(accountId);
      if (current !== undefined) working.set(accountId, current.plus(change));
    }
    return { id, ok: true, replayed: false };
  }
}

function checkShape(t: Transfer): LedgerErrorCode | null {
  if (typeof t.id !== 'string' || t.id.length === 0 || typeof t.kind !== 'string' || t.kind.length === 0) return 'invalid_transfer';
  if (!Array.isArray(t.postings) || t.postings.length < 2) return 'too_few_postings';
  let sum = new Decimal(0);
  for (const p of t.postings) {
    if (!(p.amount instanceof Decimal) || !isFen(p.amount) || p.amount.isZero()) return 'invalid_amount';
    sum = sum.plus(p.amount);
  }
  return sum.isZero() ? null : 'unbalanced_transfer';
}

/** The fingerprint that tells a retry (same body) from a conflicting reuse of an id. */
export function transferFingerprint(t: Transfer): string {
  const postings = t.postings
    .map((p) => ({ accountId: p.accountId, amount: formatMoney(p.amount) }))
    .sort((a, b) => compareText(a.accountId, b.accountId) || compareText(a.amount, b.amount));
  return sha256Hex(canonicalJson({ kind: t.kind, postings, metadata: t.metadata ?? {} }));
}

// Comparing accountId + amount as one string let ('desk1', '1.00') and ('desk', '11.00') tie, so their order, and the hash, followed input order.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function accountFingerprint(a: Account): string {
  return canonicalJson({ ownerType: a.ownerType, ownerId: a.ownerId, kind: a.kind, currency: a.currency, mayGoNegative: a.mayGoNegative });
}

function describe(code: string, accountId?: string): string {
  const messages: Record<string, string> = {
    insufficient_funds: 'the account cannot cover this amount',
    exists_with_different_body: 'a transfer with this id exists with a different body',
    account_not_found: 'an account of this transfer does not exist',
    invalid_amount: 'amounts must be non-zero yuan with at most two decimals',
    unbalanced_transfer: 'the postings of a transfer must sum to zero',
    too_few_postings: 'a transfer needs at least two postings',
    invalid_transfer: 'a transfer needs an id and a kind',
  };
  return (messages[code] ?? code) + (accountId ? ` (account ${accountId})` : '');
}
