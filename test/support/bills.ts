import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';
import { moneyState } from './money';

/**
 * Calls and checks shared by the bill and donation tests, sent through the HTTP API as
 * an admin or a desk would send them.
 */

type Body = Record<string, unknown>;

/** "YYYY-MM-DD" `days` after a "YYYY-MM-DD" day. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A reference no other test uses. */
export const reference = (prefix = 'W') => `${prefix}-${randomUUID()}`;

export function billBody(residentId: string, overrides: Body = {}): Body {
  return { residentId, payee: 'water', amount: '86.40', dueDate: '2099-12-15', reference: reference(), ...overrides };
}

export function postBill(http: TestAgent, body: Body, key = TEST_ADMIN_KEY) {
  return http.post('/v1/bills').set(bearer(key)).send(body);
}

export interface BillBody {
  id: string;
  status: 'unpaid' | 'paid';
  residentId: string;
  payee: string;
  amount: string;
  dueDate: string;
  reference: string;
  overdue: boolean;
  paymentId: string | null;
  paidAt: string | null;
  createdAt: string;
}

/** Creates a bill through the API, or throws with what came back. */
export async function createBill(t: TestApp, residentId: string, overrides: Body = {}): Promise<BillBody> {
  const res = await postBill(t.http, billBody(residentId, overrides));
  if (res.status !== 201) throw new Error(`creating a bill failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** POST /v1/bills/import with a CSV body. */
export function importCsv(http: TestAgent, csv: string | Buffer, opts: { key?: string; type?: string } = {}) {
  return http
    .post('/v1/bills/import')
    .set(bearer(opts.key ?? TEST_ADMIN_KEY))
    .set('Content-Type', opts.type ?? 'text/csv')
    .send(csv);
}

/** POST /v1/bills/:id/payments with a fresh Idempotency-Key unless one is given (null: none). */
export function payBill(http: TestAgent, billId: string, body: Body, opts: { key?: string; idem?: string | null } = {}) {
  const req = http.post(`/v1/bills/${billId}/payments`).set(bearer(opts.key ?? TEST_ADMIN_KEY));
  if (opts.idem !== null) req.set('Idempotency-Key', opts.idem ?? randomUUID());
  return req.send(body);
}

export interface ProjectBody {
  id: string;
  name: string;
  goal: string | null;
  raised: string;
  donations: number;
  createdAt: string;
}

export async function charityProject(t: TestApp, body: Body = {}): Promise<ProjectBody> {
  const res = await t.http
    .post('/v1/charity-projects')
    .set(bearer(TEST_ADMIN_KEY))
    .send({ name: `助老餐桌 ${randomUUID().slice(0, 8)}`, ...body });
  if (res.status !== 201) throw new Error(`creating a project failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** POST /v1/donations with a fresh Idempotency-Key unless one is given (null: none). */
export function donate(http: TestAgent, body: Body, opts: { key?: string; idem?: string | null } = {}) {
  const req = http.post('/v1/donations').set(bearer(opts.key ?? TEST_ADMIN_KEY));
  if (opts.idem !== null) req.set('Idempotency-Key', opts.idem ?? randomUUID());
  return req.send(body);
}

/** GET a path as the admin, expecting 200. */
export async function read<T = any>(http: TestAgent, path: string): Promise<T> {
  const res = await http.get(path).set(bearer(TEST_ADMIN_KEY));
  if (res.status !== 200) throw new Error(`GET ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/**
 * Every record money or bills leave behind: the ledger (with every balance), the money
 * records, bills, bill payments, projects, donations and receipt counters. A refused
 * request must leave it exactly as it was.
 */
export async function records(t: TestApp) {
  const k = t.knex;
  const count = async (table: string) => Number((await k(table).count<{ n: string }[]>('* as n'))[0].n);
  return {
    ...(await moneyState(t)),
    ledgerAccounts: await count('ledger_accounts'),
    bills: await k('bills').orderBy('id').select('id', 'status', 'paid_at', 'amount', 'reference'),
    billPayments: await count('bill_payments'),
    projects: await count('charity_projects'),
    donations: await count('donations'),
    receiptCounters: await k('donation_receipt_counters').orderBy(['project_id', 'year']).select('project_id', 'year', 'last_no'),
  };
}

/** records plus the stored idempotency outcomes: for requests refused before they run at all. */
export async function state(t: TestApp) {
  return { ...(await records(t)), idempotencyKeys: Number((await t.knex('idempotency_keys').count<{ n: string }[]>('* as n'))[0].n) };
}
