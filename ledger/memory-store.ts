import Decimal from 'decimal.js';
import { extendChain, type ChainLink, type ChainTransaction } from './chain';
import { formatMoney } from './money';
import type { LedgerStore } from './store';
import type { Account, StoredTransfer } from './types';
import type { AuditSource } from './verify';

interface StoredTransaction {
  id: string;
  kind: string;
  bodyHash: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  entries: { accountId: string; amount: Decimal }[];
}

/**
 * The reference store for unit specs. It mirrors what the database enforces (unique
 * transfer ids, balanced transactions, guarded balances never below zero) so a ledger
 * bug shows up as a thrown error here rather than as a silently corrupt state.
 */
export class MemoryStore implements LedgerStore, AuditSource {
  private readonly accounts = new Map<string, Account>();
  private readonly recorded = new Map<string, Decimal>();
  /** Map order is commit order, which is what the sealer follows. */
  private readonly transactions = new Map<string, StoredTransaction>();
  private chain: ChainLink[] = [];

  async insertAccounts(accounts: Account[]): Promise<void> {
    for (const a of accounts) if (!this.accounts.has(a.id)) this.accounts.set(a.id, { ...a });
  }

  async findAccounts(ids: string[]): Promise<Account[]> {
    return unique(ids).flatMap((id) => {
      const account = this.accounts.get(id);
      return account ? [{ ...account }] : [];
    });
  }

  async lockBalances(accountIds: string[]): Promise<Map<string, Decimal>> {
    return this.balances(unique(accountIds).sort());
  }

  async findTransferHashes(ids: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const id of ids) {
      const tx = this.transactions.get(id);
      if (tx) found.set(id, tx.bodyHash);
    }
    return found;
  }

  async append(transfers: StoredTransfer[], deltas: Map<string, Decimal>): Promise<void> {
    this.checkAppend(transfers, deltas);
    // now() in PostgreSQL is the transaction's start, so one append shares one timestamp.
    const createdAt = new Date().toISOString().replace('Z', '000Z');
    for (const t of transfers) {
      // A JSON round trip is what jsonb does, and it keeps callers' later mutations out.
      const metadata = JSON.parse(JSON.stringify(t.metadata ?? {})) as Record<string, unknown>;
      const entries = t.postings.map((p) => ({ accountId: p.accountId, amount: new Decimal(p.amount) }));
      this.transactions.set(t.id, { id: t.id, kind: t.kind, bodyHash: t.bodyHash, metadata, createdAt, entries });
    }
    for (const [id, change] of deltas) this.recorded.set(id, this.balanceOf(id).plus(change));
  }

  async appendFanOut(transfer: StoredTransfer, to: Account[], each: Decimal): Promise<void> {
    if (to.some((a) => this.accounts.has(a.id))) throw new Error('fan-out recipients must be new accounts');
    for (const a of to) this.accounts.set(a.id, { ...a });
    const deltas = new Map<string, Decimal>();
    for (const p of transfer.postings) deltas.set(p.accountId, (deltas.get(p.accountId) ?? new Decimal(0)).plus(p.amount));
    await this.append([transfer], deltas);
    void each;
  }

  async balances(accountIds: string[]): Promise<Map<string, Decimal>> {
    return new Map(accountIds.map((id) => [id, this.balanceOf(id)]));
  }

  async totals(): Promise<{ transactions: number; entries: number; sum: Decimal }> {
    const entries = this.allEntries();
    return { transactions: this.transactions.size, entries: entries.length, sum: sum(entries.map((e) => e.amount)) };
  }

  async unbalancedTransactions(limit: number): Promise<{ transactionId: string; sum: Decimal; entries: number }[]> {
    return [...this.transactions.values()]
      .map((tx) => ({ transactionId: tx.id, sum: sum(tx.entries.map((e) => e.amount)), entries: tx.entries.length }))
      .filter((u) => !u.sum.isZero() || u.entries < 2)
      .slice(0, limit);
  }

  async balanceMismatches(limit: number): Promise<{ accountId: string; recorded: Decimal; computed: Decimal }[]> {
    const computed = this.computedBalances();
    const ids = unique([...this.accounts.keys(), ...this.recorded.keys(), ...computed.keys()]);
    return ids
      .map((accountId) => ({ accountId, recorded: this.balanceOf(accountId), computed: computed.get(accountId) ?? new Decimal(0) }))
      .filter((m) => !m.recorded.eq(m.computed))
      .slice(0, limit);
  }

  async negativeBalances(limit: number): Promise<{ accountId: string; balance: Decimal }[]> {
    const computed = this.computedBalances();
    return [...this.accounts.values()]
      .filter((a) => !a.mayGoNegative && computed.get(a.id)?.isNegative())
      .map((a) => ({ accountId: a.id, balance: computed.get(a.id)! }))
      .slice(0, limit);
  }

  async chainPage(afterPosition: string, limit: number): Promise<{ link: ChainLink; transaction: ChainTransaction | null }[]> {
    return this.chain
      .filter((link) => BigInt(link.position) > BigInt(afterPosition))
      .slice(0, limit)
      .map((link) => {
        const tx = this.transactions.get(link.transactionId);
        return { link: { ...link }, transaction: tx ? asChained(tx) : null };
      });
  }

  /** Unsealed transactions committed before the newest sealed one were skipped, not merely late. */
  async unsealed(limit: number): Promise<{ pending: number; passedOver: string[] }> {
    const sealed = new Set(this.chain.map((l) => l.transactionId));
    const order = [...this.transactions.keys()];
    const horizon = order.reduce((last, id, i) => (sealed.has(id) ? i : last), -1);
    const waiting = order.map((id, i) => ({ id, i })).filter(({ id }) => !sealed.has(id));
    return {
      pending: waiting.filter(({ i }) => i > horizon).length,
      passedOver: waiting.filter(({ i }) => i < horizon).map(({ id }) => id).slice(0, limit),
    };
  }

  /** Seals every transaction not yet in the chain, in commit order, and returns the new links. */
  seal(): ChainLink[] {
    const sealed = new Set(this.chain.map((l) => l.transactionId));
    const txs = [...this.transactions.values()].filter((tx) => !sealed.has(tx.id)).map(asChained);
    const links = extendChain(this.chain.at(-1) ?? null, txs);
    this.chain.push(...links);
    return links;
  }

  /* Test hooks: each rewrites history the way an attacker with database access could. */

  tamperEntryAmount(transactionId: string, newAmount: Decimal | string, accountId?: string): void {
    const entry = this.transactions.get(transactionId)?.entries.find((e) => accountId === undefined || e.accountId === accountId);
    if (!entry) throw new Error(`no entry to tamper in ${transactionId}`);
    entry.amount = new Decimal(newAmount);
  }

  deleteChainLink(position: string): void {
    this.chain = this.chain.filter((l) => l.position !== position);
  }

  deleteTransaction(transactionId: string): void {
    this.transactions.delete(transactionId);
  }

  setRecordedBalance(accountId: string, amount: Decimal | string): void {
    this.recorded.set(accountId, new Decimal(amount));
  }

  private balanceOf(accountId: string): Decimal {
    return this.recorded.get(accountId) ?? new Decimal(0);
  }

  private allEntries(): { accountId: string; amount: Decimal }[] {
    return [...this.transactions.values()].flatMap((tx) => tx.entries);
  }

  private computedBalances(): Map<string, Decimal> {
    const totals = new Map<string, Decimal>();
    for (const e of this.allEntries()) totals.set(e.accountId, (totals.get(e.accountId) ?? new Decimal(0)).plus(e.amount));
    return totals;
  }

  /** What the primary key, the balancing trigger and the balance CHECK would refuse. */
  private checkAppend(transfers: StoredTransfer[], deltas: Map<string, Decimal>): void {
    for (const t of transfers) {
      if (this.transactions.has(t.id)) throw new Error(`duplicate transaction id ${t.id}`);
      if (t.postings.length < 2 || !sum(t.postings.map((p) => p.amount)).isZero()) throw new Error(`transaction ${t.id} does not balance`);
    }
    for (const [id, change] of deltas) {
      if (this.accounts.get(id)?.mayGoNegative === false && this.balanceOf(id).plus(change).isNegative()) {
        throw new Error(`balance of ${id} would go below zero`);
      }
    }
  }
}

function asChained(tx: StoredTransaction): ChainTransaction {
  const entries = tx.entries.map((e) => ({ accountId: e.accountId, amount: formatMoney(e.amount) }));
  return { id: tx.id, kind: tx.kind, createdAt: tx.createdAt, bodyHash: tx.bodyHash, metadata: tx.metadata, entries };
}

function sum(amounts: Decimal[]): Decimal {
  return amounts.reduce((acc, a) => acc.plus(a), new Decimal(0));
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
