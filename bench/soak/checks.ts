import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import type { Api } from '../payments/api';
import { moneyChecks, reconcile, type MoneyChecks, type Reconciliation } from '../payments/checks';
import type { LoadResult } from '../payments/load';
import type { MoneyTally } from './mix';

/** One kind of money request (refunds, top-ups): the database's records under this run's keys against the 201s the client saw. */
export interface KindReconciliation {
  dbCount: number;
  dbAmount: string;
  /** 201 answers, plus unanswered requests the database has a 201 for. */
  clientCount: number;
  clientAmount: string;
  unanswered: number;
  unansweredDone: number;
  ok: boolean;
}

/** The books after the soak: each group of ledger accounts against what the business tables say moved. */
export interface Books {
  /** Σ merchant:* = approved payments − refunds. */
  merchants: { ledger: string; expected: string; ok: boolean };
  /** Σ cash:* + Σ subsidy:* = top-ups + disbursed − approved payments + refunds (nothing expires or is swept within a soak). */
  residents: { ledger: string; expected: string; ok: boolean };
  /** Σ program:* = funded − disbursed. */
  programs: { ledger: string; expected: string; ok: boolean };
  /** Idempotency records of merchant keys with a stored 201: one per approved payment and one per refund. */
  merchantKeyRecords: { stored: number; expected: number; ok: boolean };
  tables: { approvedPayments: number; approvedAmount: string; declinedPayments: number; refunds: number; refundAmount: string; topUps: number; topUpAmount: string; disbursed: string };
}

export interface SoakMoney {
  /** bench/payments' exact reconciliation: approved payments in the database under this run's keys = 201s answered (+ approved unanswered). */
  payments: Reconciliation;
  refunds: KindReconciliation;
  topUps: KindReconciliation;
  disbursements: { answered: number; inDatabase: number; ok: boolean };
  books: Books & { ok: boolean };
  /**
   * bench/payments' whole-run checks, for its figures and GET /v1/ledger/verify. Its own
   * `ok` also asks for merchants = approved and cash = top-ups − approved, which refunds
   * and allowance lots make untrue here, so the soak judges `books` instead.
   */
  whole: MoneyChecks;
  ok: boolean;
}

export async function soakMoney(
  db: Knex,
  api: Api,
  adminKey: string,
  opts: { runTag: string; payments: LoadResult; refunds: MoneyTally; topUps: MoneyTally; disbursementsAnswered: number; funded: string; fixtureTopUps: string },
): Promise<SoakMoney> {
  const payments = await reconcile(db, opts.runTag, opts.payments);
  const refunds = await reconcileKind(db, opts.refunds, 'refunds');
  const topUps = await reconcileKind(db, opts.topUps, 'top_ups');
  const { rows: disb } = await db.raw<{ rows: { n: string }[] }>('SELECT count(*)::text AS n FROM subsidy_disbursements');
  const disbursements = { answered: opts.disbursementsAnswered, inDatabase: Number(disb[0].n), ok: Number(disb[0].n) === opts.disbursementsAnswered };
  const books = await checkBooks(db, opts.funded);
  const whole = await moneyChecks(db, api, adminKey, opts.fixtureTopUps);
  books.merchantKeyRecords = { stored: whole.approvedKeys, expected: books.tables.approvedPayments + books.tables.refunds, ok: whole.approvedKeys === books.tables.approvedPayments + books.tables.refunds };
  const booksOk = books.merchants.ok && books.residents.ok && books.programs.ok && books.merchantKeyRecords.ok;
  return {
    payments,
    refunds,
    topUps,
    disbursements,
    books: { ...books, ok: booksOk },
    whole,
    ok: payments.ok && refunds.ok && topUps.ok && disbursements.ok && booksOk && whole.verify.ok,
  };
}

async function reconcileKind(db: Knex, tally: MoneyTally, table: 'refunds' | 'top_ups'): Promise<KindReconciliation> {
  const { rows } = await db.raw<{ rows: { n: string; amount: string }[] }>(
    `SELECT count(r.id)::text AS n, coalesce(sum(r.amount), 0)::text AS amount
     FROM idempotency_keys k JOIN ${table} r ON r.id = (k.body->>'id')::uuid
     WHERE k.key LIKE ? AND k.status_code = 201`,
    [`${tally.prefix}%`],
  );
  const unanswered = [...tally.pending];
  const { rows: done } = await db.raw<{ rows: { key: string }[] }>(`SELECT key FROM idempotency_keys WHERE key = ANY(?::text[]) AND status_code = 201`, [unanswered.map(([k]) => k)]);
  const doneSet = new Set(done.map((r) => r.key));
  const doneCents = unanswered.filter(([k]) => doneSet.has(k)).reduce((s, [, c]) => s + c, 0);
  const clientCount = tally.ok + doneSet.size;
  const clientAmount = new Decimal(tally.okCents + doneCents).div(100);
  return {
    dbCount: Number(rows[0].n),
    dbAmount: new Decimal(rows[0].amount).toFixed(2),
    clientCount,
    clientAmount: clientAmount.toFixed(2),
    unanswered: unanswered.length,
    unansweredDone: doneSet.size,
    ok: Number(rows[0].n) === clientCount && clientAmount.eq(rows[0].amount),
  };
}

async function checkBooks(db: Knex, funded: string): Promise<Books> {
  const one = async <T>(sql: string): Promise<T> => (await db.raw<{ rows: T[] }>(sql)).rows[0];
  const p = await one<{ approved: string; amount: string; declined: string }>(
    `SELECT count(*) FILTER (WHERE status = 'approved')::text AS approved, coalesce(sum(amount) FILTER (WHERE status = 'approved'), 0)::text AS amount,
            count(*) FILTER (WHERE status = 'declined')::text AS declined FROM payments`,
  );
  const r = await one<{ n: string; amount: string }>(`SELECT count(*)::text AS n, coalesce(sum(amount), 0)::text AS amount FROM refunds`);
  const t = await one<{ n: string; amount: string }>(`SELECT count(*)::text AS n, coalesce(sum(amount), 0)::text AS amount FROM top_ups`);
  const d = await one<{ total: string }>(`SELECT coalesce(sum(total), 0)::text AS total FROM subsidy_disbursements`);
  const b = await one<{ merchants: string; residents: string; programs: string }>(
    `SELECT coalesce(sum(balance) FILTER (WHERE account_id LIKE 'merchant:%'), 0)::text AS merchants,
            coalesce(sum(balance) FILTER (WHERE account_id LIKE 'cash:%' OR account_id LIKE 'subsidy:%'), 0)::text AS residents,
            coalesce(sum(balance) FILTER (WHERE account_id LIKE 'program:%'), 0)::text AS programs
     FROM ledger_balances`,
  );
  const approved = new Decimal(p.amount);
  const refunded = new Decimal(r.amount);
  const toppedUp = new Decimal(t.amount);
  const disbursed = new Decimal(d.total);
  const group = (ledger: string, expected: Decimal) => ({ ledger: new Decimal(ledger).toFixed(2), expected: expected.toFixed(2), ok: expected.eq(ledger) });
  return {
    merchants: group(b.merchants, approved.minus(refunded)),
    residents: group(b.residents, toppedUp.plus(disbursed).minus(approved).plus(refunded)),
    programs: group(b.programs, new Decimal(funded).minus(disbursed)),
    merchantKeyRecords: { stored: 0, expected: 0, ok: false },
    tables: {
      approvedPayments: Number(p.approved),
      approvedAmount: approved.toFixed(2),
      declinedPayments: Number(p.declined),
      refunds: Number(r.n),
      refundAmount: refunded.toFixed(2),
      topUps: Number(t.n),
      topUpAmount: toppedUp.toFixed(2),
      disbursed: disbursed.toFixed(2),
    },
  };
}
