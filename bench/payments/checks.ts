import { performance } from 'node:perf_hooks';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import type { VerifyReport } from '../../ledger/verify';
import type { Api } from './api';
import type { LoadResult } from './load';
import { sleep } from './service';

/**
 * One scenario's payments as the database has them, next to what the client was told.
 * Exact, not approximate: a request autocannon wrote but never saw answered (it closes
 * its sockets when time is up) may still have been approved, so those keys are looked
 * up one by one and added to the client's side.
 */
export interface Reconciliation {
  /** Payments the database approved under this scenario's Idempotency-Keys. */
  dbApproved: number;
  dbApprovedAmount: string;
  /** 201 answers the client saw, plus unanswered requests the database approved. */
  clientApproved: number;
  clientApprovedAmount: string;
  unanswered: number;
  unansweredApproved: number;
  ok: boolean;
}

export async function reconcile(db: Knex, runTag: string, load: LoadResult): Promise<Reconciliation> {
  const prefix = `${runTag}-${load.id}.`;
  // Requests still being worked on when autocannon hung up finish on their own; wait until the count stops moving.
  let last = -1;
  let row: { approved: string; amount: string } = { approved: '0', amount: '0' };
  for (let i = 0; i < 50; i++) {
    ({ rows: [row] } = await db.raw<{ rows: { approved: string; amount: string }[] }>(
      `SELECT count(p.id)::text AS approved, coalesce(sum(p.amount), 0)::text AS amount
       FROM idempotency_keys k JOIN payments p ON p.id = (k.body->>'id')::uuid
       WHERE k.key LIKE ? AND k.status_code = 201 AND p.status = 'approved'`,
      [`${prefix}%`],
    ));
    if (Number(row.approved) === last) break;
    last = Number(row.approved);
    await sleep(300);
  }
  const unansweredKeys = load.unanswered.map((u) => u.key);
  const { rows: approvedUnanswered } = await db.raw<{ rows: { key: string }[] }>(`SELECT key FROM idempotency_keys WHERE key = ANY(?::text[]) AND status_code = 201`, [unansweredKeys]);
  const approvedSet = new Set(approvedUnanswered.map((r) => r.key));
  const unansweredCents = load.unanswered.filter((u) => approvedSet.has(u.key)).reduce((sum, u) => sum + u.cents, 0);
  const clientApproved = load.approved + approvedSet.size;
  const clientAmount = new Decimal(load.approvedAmount).plus(new Decimal(unansweredCents).div(100));
  return {
    dbApproved: Number(row.approved),
    dbApprovedAmount: new Decimal(row.amount).toFixed(2),
    clientApproved,
    clientApprovedAmount: clientAmount.toFixed(2),
    unanswered: unansweredKeys.length,
    unansweredApproved: approvedSet.size,
    ok: Number(row.approved) === clientApproved && clientAmount.eq(row.amount),
  };
}

/** Whole-run money checks, straight from the tables, plus the service's own ledger verification. */
export interface MoneyChecks {
  approvedPayments: number;
  approvedAmount: string;
  declinedPayments: number;
  /** Idempotency keys of merchant terminals that stored a 201: one per approved payment, or something was paid twice or lost. */
  approvedKeys: number;
  /** What the merchants' ledger accounts hold: must equal the approved amount (no refunds in this bench). */
  merchantBalances: string;
  /** What the residents' cash wallets hold: must equal the top-ups minus the approved amount. */
  cashBalances: string;
  topUpTotal: string;
  ok: boolean;
  verify: VerifyReport & { seconds: number };
}

export async function moneyChecks(db: Knex, api: Api, adminKey: string, topUpTotal: string): Promise<MoneyChecks> {
  const one = async <T>(sql: string): Promise<T> => ((await db.raw<{ rows: T[] }>(sql)).rows[0]);
  const payments = await one<{ approved: string; amount: string; declined: string }>(
    `SELECT count(*) FILTER (WHERE status = 'approved')::text AS approved,
            coalesce(sum(amount) FILTER (WHERE status = 'approved'), 0)::text AS amount,
            count(*) FILTER (WHERE status = 'declined')::text AS declined
     FROM payments`,
  );
  const keys = await one<{ n: string }>(
    `SELECT count(*)::text AS n FROM idempotency_keys k JOIN api_keys a ON a.id = k.api_key_id WHERE a.role = 'merchant' AND k.status_code = 201`,
  );
  const balances = await one<{ merchants: string; cash: string }>(
    `SELECT coalesce(sum(balance) FILTER (WHERE account_id LIKE 'merchant:%'), 0)::text AS merchants,
            coalesce(sum(balance) FILTER (WHERE account_id LIKE 'cash:%'), 0)::text AS cash
     FROM ledger_balances`,
  );
  const started = performance.now();
  const report = await api.get<VerifyReport>('/v1/ledger/verify', adminKey);
  const verify = { ...report, seconds: Math.round(performance.now() - started) / 1000 };

  const approvedAmount = new Decimal(payments.amount);
  const ok =
    verify.ok &&
    Number(keys.n) === Number(payments.approved) &&
    new Decimal(balances.merchants).eq(approvedAmount) &&
    new Decimal(balances.cash).eq(new Decimal(topUpTotal).minus(approvedAmount));
  return {
    approvedPayments: Number(payments.approved),
    approvedAmount: approvedAmount.toFixed(2),
    declinedPayments: Number(payments.declined),
    approvedKeys: Number(keys.n),
    merchantBalances: new Decimal(balances.merchants).toFixed(2),
    cashBalances: new Decimal(balances.cash).toFixed(2),
    topUpTotal,
    ok,
    verify,
  };
}
