import type { Knex } from 'knex';

export interface StatementLine {
  /** The ledger transaction; a payment from two wallets shows as two lines with one id. */
  id: string;
  kind: string;
  /** Signed from the resident's side: money in is positive. */
  amount: string;
  wallet: 'cash' | 'subsidy';
  merchantId?: string;
  programId?: string;
  counterparty: { type: string; id: string; kind: string } | null;
  /** The business record behind the line (payment, refund, top-up), when there is one. */
  paymentId?: string;
  refundId?: string;
  topUpId?: string;
  billPaymentId?: string;
  donationId?: string;
  createdAt: string;
  /** The entry id, which orders the statement and is its cursor. */
  entryId: string;
}

interface Row {
  entry_id: string;
  transaction_id: string;
  amount: string;
  account_kind: string;
  kind: string;
  created_at: Date;
  metadata: Record<string, unknown>;
  lot_program_id: string | null;
  counterparty: { type: string; id: string; kind: string } | null;
}

const REFERENCES = ['paymentId', 'refundId', 'topUpId', 'billPaymentId', 'donationId'] as const;

/**
 * A resident's own view of the ledger, newest first. Entries are paged by id: writers
 * lock a wallet before writing its entries, so one wallet's entries get ids in commit
 * order, and a page once read does not change under later payments.
 */
export async function residentStatement(db: Knex, residentId: string, beforeEntryId: string | null, limit: number): Promise<StatementLine[]> {
  // The counterparty is who the money went to or came from: the merchant if there is one,
  // the program for allowance money, else the first other account (cash desk, payee...).
  const { rows } = await db.raw<{ rows: Row[] }>(
    `SELECT e.id AS entry_id, e.transaction_id, e.amount::text AS amount, a.kind AS account_kind, t.kind, t.created_at, t.metadata,
       sw.program_id AS lot_program_id,
       (SELECT jsonb_build_object('type', ca.owner_type, 'id', ca.owner_id, 'kind', ca.kind)
          FROM ledger_entries ce JOIN ledger_accounts ca ON ca.id = ce.account_id
         WHERE ce.transaction_id = e.transaction_id AND NOT (ca.owner_type = 'resident' AND ca.owner_id = a.owner_id)
         ORDER BY CASE WHEN ca.owner_type = 'merchant' THEN 0
                       WHEN ca.owner_type = 'program' AND ca.owner_id = sw.program_id::text THEN 1
                       WHEN ca.owner_type = 'program' THEN 3 ELSE 2 END, ce.id
         LIMIT 1) AS counterparty
     FROM ledger_accounts a
     JOIN ledger_entries e ON e.account_id = a.id
     JOIN ledger_transactions t ON t.id = e.transaction_id
     LEFT JOIN subsidy_wallets sw ON sw.account_id = a.id
     WHERE a.owner_type = 'resident' AND a.owner_id = ? AND (?::bigint IS NULL OR e.id < ?::bigint)
     ORDER BY e.id DESC LIMIT ?`,
    [residentId, beforeEntryId, beforeEntryId, limit],
  );
  return rows.map(toLine);
}

function toLine(r: Row): StatementLine {
  const cp = r.counterparty;
  return {
    id: r.transaction_id,
    kind: r.kind,
    amount: r.amount,
    wallet: r.account_kind === 'subsidy_wallet' ? 'subsidy' : 'cash',
    ...(cp?.type === 'merchant' ? { merchantId: cp.id } : {}),
    ...(r.lot_program_id ? { programId: r.lot_program_id } : cp?.type === 'program' ? { programId: cp.id } : {}),
    counterparty: cp,
    ...Object.fromEntries(REFERENCES.filter((k) => typeof r.metadata[k] === 'string').map((k) => [k, r.metadata[k]])),
    createdAt: r.created_at.toISOString(),
    entryId: r.entry_id,
  };
}
