import type { Knex } from 'knex';

export interface LedgerChecks {
  disbursement: { recipients: number; total: string; transactionId: string | null };
  /** Entries of the disbursement's one ledger transaction. */
  entries: { count: number; sum: string; credits: number; creditAmounts: string[]; debit: string | null };
  /** Ledger transactions of kind 'disbursement' in the whole ledger, right after the HTTP one (so exactly one). */
  disbursementTransactions: number;
  wallets: { count: number; residents: number; balanceRows: number; balanceSum: string };
  budgetAfter: string;
  /** Residents eligible by the program's rule who hold an active card, counted independently of the service. */
  eligibleByRule: number;
}

export async function checkLedger(knex: Knex, programId: string, disbursementId: string): Promise<LedgerChecks> {
  const one = async <T>(sql: string, bindings: unknown[] = []): Promise<T> => ((await knex.raw(sql, bindings as never[])) as { rows: T[] }).rows[0];
  const d = await one<{ recipients: number; total: string; transaction_id: string | null }>(
    'SELECT recipients, total::text AS total, transaction_id FROM subsidy_disbursements WHERE id = ?',
    [disbursementId],
  );
  const e = d.transaction_id
    ? await one<{ count: number; sum: string; credits: number; credit_amounts: string[]; debit: string | null }>(
        `SELECT count(*)::int AS count, coalesce(sum(amount), 0)::text AS sum,
                count(*) FILTER (WHERE amount > 0)::int AS credits,
                coalesce(array_agg(DISTINCT amount::text) FILTER (WHERE amount > 0), '{}') AS credit_amounts,
                (sum(amount) FILTER (WHERE amount < 0))::text AS debit
         FROM ledger_entries WHERE transaction_id = ?`,
        [d.transaction_id],
      )
    : { count: 0, sum: '0', credits: 0, credit_amounts: [], debit: null };
  const t = await one<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transactions WHERE kind = 'disbursement'`);
  const w = await one<{ count: number; residents: number; balance_rows: number; balance_sum: string }>(
    `SELECT count(*)::int AS count, count(DISTINCT w.resident_id)::int AS residents, count(b.account_id)::int AS balance_rows, coalesce(sum(b.balance), 0)::text AS balance_sum
     FROM subsidy_wallets w LEFT JOIN ledger_balances b ON b.account_id = w.account_id
     WHERE w.disbursement_id = ?`,
    [disbursementId],
  );
  const b = await one<{ s: string }>('SELECT coalesce(sum(balance), 0)::text AS s FROM ledger_balances WHERE account_id = ?', [`program:${programId}`]);
  const el = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM residents r
     WHERE date_part('year', age((now() AT TIME ZONE 'Asia/Shanghai')::date, r.birth_date)) >= 60
       AND EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.id AND c.status = 'active')`,
  );
  return {
    disbursement: { recipients: d.recipients, total: d.total, transactionId: d.transaction_id },
    entries: { count: e.count, sum: e.sum, credits: e.credits, creditAmounts: e.credit_amounts, debit: e.debit },
    disbursementTransactions: t.n,
    wallets: { count: w.count, residents: w.residents, balanceRows: w.balance_rows, balanceSum: w.balance_sum },
    budgetAfter: b.s,
    eligibleByRule: el.n,
  };
}
