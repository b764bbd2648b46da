import type { Knex } from 'knex';
import type { ChainTransaction } from '../../ledger/chain';
import { pgArray } from '../db/pg-array';

/** Timestamps are hashed as PostgreSQL's own microsecond text, independent of session settings. */
export const CREATED_AT_TEXT = `to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface TransactionRow {
  id: string;
  kind: string;
  created_at: string;
  body_hash: string;
  metadata: Record<string, unknown>;
}

/** Attaches entries (amounts as NUMERIC's text) to transactions, keeping the given order. */
export async function withEntries(db: Knex, txs: TransactionRow[]): Promise<ChainTransaction[]> {
  if (txs.length === 0) return [];
  const { rows } = await db.raw<{ rows: { transaction_id: string; account_id: string; amount: string }[] }>(
    'SELECT transaction_id, account_id, amount::text AS amount FROM ledger_entries WHERE transaction_id = ANY(?::uuid[])',
    [pgArray(txs.map((t) => t.id))],
  );
  const byTx = new Map<string, { accountId: string; amount: string }[]>();
  for (const r of rows) {
    const list = byTx.get(r.transaction_id) ?? [];
    list.push({ accountId: r.account_id, amount: r.amount });
    byTx.set(r.transaction_id, list);
  }
  return txs.map((t) => ({
    id: t.id,
    kind: t.kind,
    createdAt: t.created_at,
    bodyHash: t.body_hash,
    metadata: t.metadata,
    entries: byTx.get(t.id) ?? [],
  }));
}
