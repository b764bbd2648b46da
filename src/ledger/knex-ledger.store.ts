import type { Knex } from 'knex';
import Decimal from 'decimal.js';
import type { LedgerStore } from '../../ledger/store';
import { CURRENCY, type Account, type StoredTransfer } from '../../ledger/types';
import { formatMoney } from '../../ledger/money';
import { canonicalJson } from '../../ledger/canonical';
import { pgArray } from '../db/pg-array';

/** Shards per hot account: enough that concurrent batches rarely pick the same row. */
export const HOT_SHARDS = 16;

export const randomShard = () => Math.floor(Math.random() * HOT_SHARDS);

/** A transfer id inserted by a concurrent transaction: retrying the whole transaction replays it. */
export class ConcurrentTransferConflict extends Error {
  readonly code = '40001';
}

export interface AccountRow {
  id: string;
  owner_type: string;
  owner_id: string;
  kind: string;
  may_go_negative: boolean;
}

/**
 * The ledger's storage on PostgreSQL, bound to one database transaction. Every write
 * is one set-based statement per table, however many transfers a call carries.
 */
export class KnexLedgerStore implements LedgerStore {
  /** Each transaction credits hot accounts on one shard: the caller's, or one at random. */
  readonly shard: number;
  /** Accounts read in this transaction: their attributes never change (the table is append-only). */
  private readonly known = new Map<string, Account>();
  /** Balances this transaction holds locks on, kept current as it appends, so locking twice costs nothing. */
  private readonly locked = new Map<string, Decimal>();

  constructor(
    private readonly trx: Knex,
    shard?: number,
  ) {
    this.shard = shard === undefined ? randomShard() : shard % HOT_SHARDS;
  }

  async insertAccounts(accounts: Account[]): Promise<void> {
    if (accounts.length === 0) return;
    await this.trx.raw(
      `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
       SELECT id, owner_type, owner_id, kind, ?, may_go_negative
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[]) AS a(id, owner_type, owner_id, kind, may_go_negative)
       ON CONFLICT (id) DO NOTHING`,
      [
        CURRENCY,
        pgArray(accounts.map((a) => a.id)),
        pgArray(accounts.map((a) => a.ownerType)),
        pgArray(accounts.map((a) => a.ownerId)),
        pgArray(accounts.map((a) => a.kind)),
        pgArray(accounts.map((a) => a.mayGoNegative)),
      ],
    );
    const guarded = accounts.filter((a) => !a.mayGoNegative).map((a) => a.id);
    if (guarded.length === 0) return;
    // The shard-0 row of a guarded account is what writers lock, so it must exist before the first transfer.
    await this.trx.raw(
      `INSERT INTO ledger_balances (account_id, shard, may_go_negative, balance)
       SELECT a.id, 0, false, 0 FROM ledger_accounts a WHERE a.id = ANY(?::text[]) AND NOT a.may_go_negative
       ON CONFLICT DO NOTHING`,
      [pgArray(guarded)],
    );
  }

  // The statements every payment batch runs are named (pg prepared statements): parsed and
  // planned once per connection. PGlite ignores the name.

  /** Accounts never change once written, so those this transaction has read are not read again. */
  async findAccounts(ids: string[]): Promise<Account[]> {
    const unknown = ids.filter((id) => !this.known.has(id));
    if (unknown.length > 0) {
      const { rows } = await this.trx.raw<{ rows: AccountRow[] }>(
        'SELECT id, owner_type, owner_id, kind, may_go_negative FROM ledger_accounts WHERE id = ANY(?::text[])',
        [pgArray(unknown)],
      ).options({ name: 'ccard_ledger_accounts' });
      for (const r of rows) this.know(r);
    }
    return ids.flatMap((id) => this.known.get(id) ?? []);
  }

  async lockBalances(accountIds: string[]): Promise<Map<string, Decimal>> {
    const toLock = accountIds.filter((id) => !this.locked.has(id));
    if (toLock.length > 0) await this.lockNow(toLock);
    return new Map(accountIds.map((id) => [id, this.locked.get(id)!]));
  }

  private async lockNow(accountIds: string[]): Promise<void> {
    // ORDER BY makes every writer take these row locks in the same order: no deadlocks among them.
    // The accounts come along, so the transfer that follows need not read them again.
    const { rows } = await this.trx.raw<{ rows: (AccountRow & { balance: string })[] }>(
      `SELECT a.id, a.owner_type, a.owner_id, a.kind, a.may_go_negative, b.balance::text
       FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
       WHERE b.account_id = ANY(?::text[]) AND b.shard = 0 ORDER BY b.account_id FOR UPDATE OF b`,
      [pgArray(accountIds)],
    ).options({ name: 'ccard_ledger_lock' });
    this.adoptLocked(rows);
    const missing = accountIds.find((id) => !this.locked.has(id));
    if (missing) throw new Error(`guarded account ${missing} has no balance row`);
  }

  /**
   * Takes over balances the caller has already locked FOR UPDATE (shard 0, in account
   * order) in this transaction, with their accounts, so that locking them again and
   * reading their accounts cost nothing. For hot paths that fold the lock into a read.
   */
  adoptLocked(rows: (AccountRow & { balance: string })[]): void {
    for (const r of rows) {
      this.locked.set(r.id, new Decimal(r.balance));
      this.know(r);
    }
  }

  /** Takes over accounts the caller has read in this transaction. */
  adoptAccounts(rows: AccountRow[]): void {
    for (const r of rows) this.know(r);
  }

  private know(r: AccountRow): void {
    this.known.set(r.id, { id: r.id, ownerType: r.owner_type, ownerId: r.owner_id, kind: r.kind, currency: CURRENCY, mayGoNegative: r.may_go_negative });
  }

  async findTransferHashes(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.trx.raw<{ rows: { id: string; body_hash: string }[] }>(
      'SELECT id, body_hash FROM ledger_transactions WHERE id = ANY(?::uuid[])',
      [pgArray(ids)],
    );
    return new Map(rows.map((r) => [r.id, r.body_hash]));
  }

  /**
   * Writes the transfers, their entries and the balance changes in one statement:
   * every round trip here is paid by every payment batch. The entries' foreign keys and
   * the balance trigger are checked at the end of the statement, when all of it is in.
   */
  async append(transfers: StoredTransfer[], deltas: Map<string, Decimal>): Promise<void> {
    const entries = transfers.flatMap((t) => t.postings.map((p) => ({ transferId: t.id, accountId: p.accountId, amount: formatMoney(p.amount) })));
    const changed = [...deltas].filter(([, d]) => !d.isZero()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const hot = new Set(await this.hotAccounts(changed.map(([id]) => id)));
    const guarded = changed.filter(([id]) => !hot.has(id));
    const sharded = changed.filter(([id]) => hot.has(id));
    const { rows } = await this.trx.raw<{ rows: { inserted: number }[] }>(
      `WITH t AS (
         INSERT INTO ledger_transactions (id, kind, body_hash, metadata)
         SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::jsonb[])
         ON CONFLICT (id) DO NOTHING RETURNING id
       ), e AS (
         INSERT INTO ledger_entries (transaction_id, account_id, amount)
         SELECT * FROM unnest(?::uuid[], ?::text[], ?::numeric[])
       ), g AS (
         UPDATE ledger_balances b SET balance = b.balance + d.delta
         FROM unnest(?::text[], ?::numeric[]) AS d(account_id, delta)
         WHERE b.account_id = d.account_id AND b.shard = 0
       ), h AS (
         INSERT INTO ledger_balances AS b (account_id, shard, may_go_negative, balance)
         SELECT d.account_id, ?::smallint, true, d.delta
         FROM unnest(?::text[], ?::numeric[]) WITH ORDINALITY AS d(account_id, delta, n)
         ORDER BY d.n
         ON CONFLICT (account_id, shard) DO UPDATE SET balance = b.balance + EXCLUDED.balance
       )
       SELECT count(*)::int AS inserted FROM t`,
      [
        pgArray(transfers.map((t) => t.id)),
        pgArray(transfers.map((t) => t.kind)),
        pgArray(transfers.map((t) => t.bodyHash)),
        pgArray(transfers.map((t) => canonicalJson(t.metadata ?? {}))),
        pgArray(entries.map((e) => e.transferId)),
        pgArray(entries.map((e) => e.accountId)),
        pgArray(entries.map((e) => e.amount)),
        pgArray(guarded.map(([id]) => id)),
        pgArray(guarded.map(([, d]) => formatMoney(d))),
        this.shard,
        pgArray(sharded.map(([id]) => id)),
        pgArray(sharded.map(([, d]) => formatMoney(d))),
      ],
    ).options({ name: 'ccard_ledger_append' });
    if (rows[0].inserted !== transfers.length) throw new ConcurrentTransferConflict('a transfer id was written concurrently');
    for (const [id, delta] of changed) {
      const held = this.locked.get(id);
      if (held) this.locked.set(id, held.plus(delta));
    }
  }

  /** Guarded accounts change their shard-0 row, which `lockBalances` already holds. */
  private async updateGuarded(changes: [string, Decimal][]): Promise<void> {
    if (changes.length === 0) return;
    await this.trx.raw(
      `UPDATE ledger_balances b SET balance = b.balance + d.delta
       FROM unnest(?::text[], ?::numeric[]) AS d(account_id, delta)
       WHERE b.account_id = d.account_id AND b.shard = 0`,
      [pgArray(changes.map(([id]) => id)), pgArray(changes.map(([, d]) => formatMoney(d)))],
    );
  }

  /** Hot accounts add to this transaction's shard, created on first use; rows in account order to avoid deadlocks. */
  private async addToHotShards(changes: [string, Decimal][]): Promise<void> {
    if (changes.length === 0) return;
    await this.trx.raw(
      `INSERT INTO ledger_balances AS b (account_id, shard, may_go_negative, balance)
       SELECT d.account_id, ?::smallint, true, d.delta
       FROM unnest(?::text[], ?::numeric[]) WITH ORDINALITY AS d(account_id, delta, n)
       ORDER BY d.n
       ON CONFLICT (account_id, shard) DO UPDATE SET balance = b.balance + EXCLUDED.balance`,
      [this.shard, pgArray(changes.map(([id]) => id)), pgArray(changes.map(([, d]) => formatMoney(d)))],
    );
  }

  private async hotAccounts(ids: string[]): Promise<string[]> {
    const unknown = ids.filter((id) => !this.known.has(id));
    if (unknown.length > 0) await this.findAccounts(unknown);
    return ids.filter((id) => this.known.get(id)?.mayGoNegative);
  }

  async appendFanOut(transfer: StoredTransfer, to: Account[], each: Decimal): Promise<void> {
    const ids = pgArray(to.map((a) => a.id));
    await this.trx.raw(
      `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
       SELECT id, owner_type, owner_id, kind, ?, may_go_negative
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[]) AS a(id, owner_type, owner_id, kind, may_go_negative)`,
      [CURRENCY, ids, pgArray(to.map((a) => a.ownerType)), pgArray(to.map((a) => a.ownerId)), pgArray(to.map((a) => a.kind)), pgArray(to.map((a) => a.mayGoNegative))],
    );
    // New accounts start at their credit: no zero row to lock and then update.
    await this.trx.raw(
      `INSERT INTO ledger_balances (account_id, shard, may_go_negative, balance)
       SELECT id, 0, may_go_negative, ?::numeric FROM unnest(?::text[], ?::boolean[]) AS a(id, may_go_negative)`,
      [formatMoney(each), ids, pgArray(to.map((a) => a.mayGoNegative))],
    );
    await this.trx.raw(`INSERT INTO ledger_transactions (id, kind, body_hash, metadata) VALUES (?, ?, ?, ?::jsonb)`, [
      transfer.id,
      transfer.kind,
      transfer.bodyHash,
      canonicalJson(transfer.metadata ?? {}),
    ]);
    const from = transfer.postings[0];
    await this.trx.raw(
      `INSERT INTO ledger_entries (transaction_id, account_id, amount)
       SELECT ?::uuid, ?, ?::numeric UNION ALL SELECT ?::uuid, id, ?::numeric FROM unnest(?::text[]) AS a(id)`,
      [transfer.id, from.accountId, formatMoney(from.amount), transfer.id, formatMoney(each), ids],
    );
    const source = this.known.get(from.accountId) ?? (await this.findAccounts([from.accountId]))[0];
    if (source.mayGoNegative) await this.addToHotShards([[from.accountId, from.amount]]);
    else await this.updateGuarded([[from.accountId, from.amount]]);
    const held = this.locked.get(from.accountId);
    if (held) this.locked.set(from.accountId, held.plus(from.amount));
  }

  async balances(accountIds: string[]): Promise<Map<string, Decimal>> {
    const result = new Map(accountIds.map((id) => [id, new Decimal(0)]));
    if (accountIds.length === 0) return result;
    const { rows } = await this.trx.raw<{ rows: { account_id: string; balance: string }[] }>(
      'SELECT account_id, sum(balance)::text AS balance FROM ledger_balances WHERE account_id = ANY(?::text[]) GROUP BY account_id',
      [pgArray(accountIds)],
    );
    for (const r of rows) result.set(r.account_id, new Decimal(r.balance));
    return result;
  }
}
