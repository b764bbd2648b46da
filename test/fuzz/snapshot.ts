import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Everything that records money, read straight from the database, as rows and a hash
 * per table: the ledger (transactions, entries, the hash chain, every account's
 * non-zero balance), the business records of money (top-ups, payments, refunds, bill
 * payments and paid bills, donations and receipt numbers, subsidy disbursements, lots
 * and discount uses) and the stored idempotency outcomes. Opening an account with
 * nothing in it is not money (a fuzzed request may validly create a merchant), so
 * zero balances are left out.
 */

const TABLES: [name: string, sql: string][] = [
  ['ledger_transactions', 'SELECT to_jsonb(t)::text AS r FROM ledger_transactions t ORDER BY 1'],
  ['ledger_entries', 'SELECT to_jsonb(t)::text AS r FROM ledger_entries t ORDER BY 1'],
  ['ledger_chain', 'SELECT to_jsonb(t)::text AS r FROM ledger_chain t ORDER BY 1'],
  ['ledger_balances (non-zero, by account)', 'SELECT account_id || \'=\' || sum(balance)::text AS r FROM ledger_balances GROUP BY account_id HAVING sum(balance) <> 0 ORDER BY 1'],
  ['top_ups', 'SELECT to_jsonb(t)::text AS r FROM top_ups t ORDER BY 1'],
  ['payments', 'SELECT to_jsonb(t)::text AS r FROM payments t ORDER BY 1'],
  ['refunds', 'SELECT to_jsonb(t)::text AS r FROM refunds t ORDER BY 1'],
  ['bill_payments', 'SELECT to_jsonb(t)::text AS r FROM bill_payments t ORDER BY 1'],
  ['bills (paid)', "SELECT to_jsonb(t)::text AS r FROM bills t WHERE status <> 'unpaid' ORDER BY 1"],
  ['donations', 'SELECT to_jsonb(t)::text AS r FROM donations t ORDER BY 1'],
  ['donation_receipt_counters', 'SELECT to_jsonb(t)::text AS r FROM donation_receipt_counters t ORDER BY 1'],
  ['subsidy_disbursements', 'SELECT to_jsonb(t)::text AS r FROM subsidy_disbursements t ORDER BY 1'],
  ['subsidy_wallets', 'SELECT to_jsonb(t)::text AS r FROM subsidy_wallets t ORDER BY 1'],
  ['subsidy_discount_uses', 'SELECT to_jsonb(t)::text AS r FROM subsidy_discount_uses t ORDER BY 1'],
  ['idempotency_keys', 'SELECT to_jsonb(t)::text AS r FROM idempotency_keys t ORDER BY 1'],
];

export interface TableState {
  rows: string[];
  hash: string;
}

export interface MoneySnapshot {
  tables: Record<string, TableState>;
  /** Tables of the list that this database does not have (a renamed table would silently shrink the check). */
  missing: string[];
  hash: string;
}

export async function moneySnapshot(knex: Knex): Promise<MoneySnapshot> {
  const tables: Record<string, TableState> = {};
  const missing: string[] = [];
  const all = createHash('sha256');
  for (const [name, sql] of TABLES) {
    const table = name.split(' ')[0];
    const { rows: exists } = await knex.raw('SELECT to_regclass(?) IS NOT NULL AS ok', [table]);
    if (!exists[0].ok) {
      missing.push(table);
      continue;
    }
    const { rows } = await knex.raw(sql);
    const texts = (rows as { r: string }[]).map((x) => x.r);
    const hash = createHash('sha256').update(texts.join('\n')).digest('hex');
    tables[name] = { rows: texts, hash };
    all.update(`${name}:${hash}\n`);
  }
  return { tables, missing, hash: all.digest('hex') };
}

/** What differs between two snapshots, table by table, with a few rows each way. */
export function snapshotDiff(before: MoneySnapshot, after: MoneySnapshot): string[] {
  const out: string[] = [];
  for (const [name, b] of Object.entries(before.tables)) {
    const a = after.tables[name];
    if (!a || a.hash === b.hash) continue;
    const was = new Set(b.rows);
    const now = new Set(a.rows);
    const added = a.rows.filter((r) => !was.has(r));
    const removed = b.rows.filter((r) => !now.has(r));
    out.push(`${name}: ${b.rows.length} → ${a.rows.length} rows; ${added.length} new, ${removed.length} gone or changed`);
    for (const r of added.slice(0, 5)) out.push(`  + ${r.slice(0, 600)}`);
    for (const r of removed.slice(0, 5)) out.push(`  - ${r.slice(0, 600)}`);
  }
  return out;
}

export function summary(s: MoneySnapshot): string {
  return Object.entries(s.tables)
    .map(([name, t]) => `${name} ${t.rows.length}`)
    .join(', ');
}
