import type { Knex } from 'knex';
import Decimal from 'decimal.js';
import type { ChainLink, ChainTransaction } from '../../ledger/chain';
import type { AuditSource } from '../../ledger/verify';
import { CREATED_AT_TEXT, withEntries, type TransactionRow } from './chain-rows';

const NOT_SEALED = 'NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.transaction_id = t.id)';

/** The auditor's questions as set-based SQL over the whole ledger. */
export class KnexAuditSource implements AuditSource {
  constructor(private readonly db: Knex) {}

  async totals(): Promise<{ transactions: number; entries: number; sum: Decimal }> {
    const { rows } = await this.db.raw<{ rows: { transactions: string; entries: string; sum: string }[] }>(
      `SELECT (SELECT count(*) FROM ledger_transactions) AS transactions, count(*) AS entries, coalesce(sum(amount), 0)::text AS sum FROM ledger_entries`,
    );
    return { transactions: Number(rows[0].transactions), entries: Number(rows[0].entries), sum: new Decimal(rows[0].sum) };
  }

  async unbalancedTransactions(limit: number) {
    const { rows } = await this.db.raw<{ rows: { id: string; sum: string; n: string }[] }>(
      `SELECT t.id, coalesce(sum(e.amount), 0)::text AS sum, count(e.id) AS n
       FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
       GROUP BY t.id HAVING coalesce(sum(e.amount), 0) <> 0 OR count(e.id) < 2 LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ transactionId: r.id, sum: new Decimal(r.sum), entries: Number(r.n) }));
  }

  async balanceMismatches(limit: number) {
    const { rows } = await this.db.raw<{ rows: { account_id: string; recorded: string; computed: string }[] }>(
      `WITH computed AS (SELECT account_id, sum(amount) AS s FROM ledger_entries GROUP BY account_id),
            recorded AS (SELECT account_id, sum(balance) AS s FROM ledger_balances GROUP BY account_id)
       SELECT coalesce(c.account_id, r.account_id) AS account_id, coalesce(r.s, 0)::text AS recorded, coalesce(c.s, 0)::text AS computed
       FROM computed c FULL JOIN recorded r ON r.account_id = c.account_id
       WHERE coalesce(r.s, 0) <> coalesce(c.s, 0) LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ accountId: r.account_id, recorded: new Decimal(r.recorded), computed: new Decimal(r.computed) }));
  }

  async negativeBalances(limit: number) {
    const { rows } = await this.db.raw<{ rows: { id: string; balance: string }[] }>(
      `SELECT a.id, sum(e.amount)::text AS balance FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id
       WHERE NOT a.may_go_negative GROUP BY a.id HAVING sum(e.amount) < 0 LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ accountId: r.id, balance: new Decimal(r.balance) }));
  }

  async chainPage(afterPosition: string, limit: number): Promise<{ link: ChainLink; transaction: ChainTransaction | null }[]> {
    const { rows } = await this.db.raw<{ rows: (Partial<TransactionRow> & { position: string; transaction_id: string; prev_hash: string; hash: string })[] }>(
      `SELECT c.position::text, c.transaction_id, c.prev_hash, c.hash, t.id, t.kind, ${CREATED_AT_TEXT} AS created_at, t.body_hash, t.metadata
       FROM ledger_chain c LEFT JOIN ledger_transactions t ON t.id = c.transaction_id
       WHERE c.position > ?::bigint ORDER BY c.position LIMIT ?`,
      [afterPosition, limit],
    );
    const present = rows.filter((r) => r.id) as unknown as TransactionRow[];
    const txs = new Map((await withEntries(this.db, present)).map((t) => [t.id, t]));
    return rows.map((r) => ({
      link: { position: r.position, transactionId: r.transaction_id, prevHash: r.prev_hash, hash: r.hash },
      transaction: txs.get(r.transaction_id) ?? null,
    }));
  }

  async unsealed(limit: number): Promise<{ pending: number; passedOver: string[] }> {
    const { rows: passed } = await this.db.raw<{ rows: { id: string }[] }>(
      `SELECT t.id FROM ledger_transactions t, ledger_sealer s
       WHERE (t.xid, t.id) <= (s.last_xid, s.last_id) AND ${NOT_SEALED} LIMIT ?`,
      [limit],
    );
    const { rows: pending } = await this.db.raw<{ rows: { n: string }[] }>(
      `SELECT count(*) AS n FROM ledger_transactions t, ledger_sealer s WHERE (t.xid, t.id) > (s.last_xid, s.last_id)`,
    );
    return { pending: Number(pending[0].n), passedOver: passed.map((r) => r.id) };
  }
}
