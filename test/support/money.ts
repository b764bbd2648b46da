import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { cashWalletId, merchantAccountId } from '../../src/ledger/accounts';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';
import { apiKey, merchant } from './factories';
import { ledgerBalance, residentWithCard, type CardView } from './residents';

/**
 * Shared setup and calls for the money tests: merchants with their terminal keys,
 * residents holding an active card with cash, and top-ups, payments and refunds sent
 * through the HTTP API exactly as a desk or a terminal would send them.
 */

export interface Terminal {
  merchant: { id: string; name: string; category: string };
  /** The terminal's API key (role merchant, bound to this merchant). */
  key: string;
  keyId: string;
}

/** A merchant (through the API) and a terminal key bound to it. */
export async function terminal(t: TestApp, category = 'canteen'): Promise<Terminal> {
  const m = await merchant(t, category);
  const k = await apiKey(t, 'merchant', { merchantId: m.id });
  return { merchant: m, key: k.key, keyId: k.id };
}

/** A second terminal key for a merchant that already has one. */
export async function anotherTerminal(t: TestApp, of: Terminal): Promise<Terminal> {
  const k = await apiKey(t, 'merchant', { merchantId: of.merchant.id });
  return { merchant: of.merchant, key: k.key, keyId: k.id };
}

export interface Holder {
  residentId: string;
  card: CardView;
}

/** A resident holding an active card; `cash` (if above zero) is put on it with a top-up through the API. */
export async function holder(t: TestApp, cash = '0.00'): Promise<Holder> {
  const { resident, card } = await residentWithCard(t);
  if (new Decimal(cash).gt(0)) {
    const res = await topUp(t.http, { cardId: card.id, amount: cash, method: 'cash' });
    if (res.status !== 201) throw new Error(`topping up failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { residentId: resident.id, card };
}

type Body = Record<string, unknown>;

/** POST /v1/top-ups with a fresh Idempotency-Key unless one is given (null: none at all). */
export function topUp(http: TestAgent, body: Body, opts: { key?: string; idem?: string | null } = {}) {
  return send(http.post('/v1/top-ups'), opts.key ?? TEST_ADMIN_KEY, body, opts.idem);
}

/** POST /v1/payments from a terminal. */
export function pay(http: TestAgent, terminalKey: string, body: Body, opts: { idem?: string | null } = {}) {
  return send(http.post('/v1/payments'), terminalKey, body, opts.idem);
}

/** POST /v1/payments/:id/refunds (a terminal's key or the admin's). */
export function refund(http: TestAgent, key: string, paymentId: string, body: Body = {}, opts: { idem?: string | null } = {}) {
  return send(http.post(`/v1/payments/${paymentId}/refunds`), key, body, opts.idem);
}

function send(req: ReturnType<TestAgent['post']>, key: string, body: Body, idem: string | null | undefined) {
  req.set(bearer(key));
  if (idem !== null) req.set('Idempotency-Key', idem ?? randomUUID());
  return req.send(body);
}

/** An approved payment's body, or a thrown error naming what came back instead. */
export async function approvedPayment(http: TestAgent, terminalKey: string, uid: string, amount: string) {
  const res = await pay(http, terminalKey, { uid, amount });
  if (res.status !== 201) throw new Error(`payment of ${amount} was not approved: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as PaymentBody;
}

export interface PaymentBody {
  id: string;
  status: 'approved';
  amount: string;
  cardId: string;
  merchantId: string;
  funding: { wallet: string; programId?: string; amount: string }[];
  balance: { cash: string; subsidy: string };
  createdAt: string;
}

/** The resident's cash balance straight from the ledger. */
export const cashOf = (t: TestApp, residentId: string) => ledgerBalance(t, cashWalletId(residentId));

/** What the service owes a merchant, straight from the ledger. */
export const owedTo = (t: TestApp, merchantId: string) => ledgerBalance(t, merchantAccountId(merchantId));

/** The cash balance as GET /v1/cards/:id/balance reports it. */
export async function apiCash(http: TestAgent, cardId: string): Promise<string> {
  const res = await http.get(`/v1/cards/${cardId}/balance`).set(bearer(TEST_ADMIN_KEY));
  if (res.status !== 200) throw new Error(`reading a balance failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.cash;
}

/**
 * Everything that records money, read straight from the database: the ledger (with
 * every account's balance), the top-up, payment and refund rows. A refused request
 * must leave it exactly as it was.
 */
export async function moneyState(t: TestApp) {
  const k = t.knex;
  const count = async (table: string) => Number((await k(table).count<{ n: string }[]>('* as n'))[0].n);
  return {
    ledgerTransactions: await count('ledger_transactions'),
    ledgerEntries: await count('ledger_entries'),
    balances: await k('ledger_balances').select('account_id').sum({ balance: 'balance' }).groupBy('account_id').orderBy('account_id'),
    topUps: await count('top_ups'),
    payments: await k('payments').orderBy('id').select('id', 'status', 'amount', 'decline_code'),
    refunds: await count('refunds'),
  };
}

/** moneyState plus the stored idempotency outcomes: for requests refused before they run at all. */
export async function everything(t: TestApp) {
  return { ...(await moneyState(t)), idempotencyKeys: Number((await t.knex('idempotency_keys').count<{ n: string }[]>('* as n'))[0].n) };
}

/** GET /v1/ledger/verify as the admin. */
export async function verify(http: TestAgent) {
  const res = await http.get('/v1/ledger/verify').set(bearer(TEST_ADMIN_KEY));
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { ok: boolean; trialBalance: string; problems: unknown[]; transactions: number; entries: number };
}

export interface StatementLine {
  id: string;
  kind: string;
  amount: string;
  wallet: string;
  merchantId?: string;
  createdAt: string;
}

/** A card's whole statement (GET /v1/cards/:id/transactions), every page. */
export async function statementOf(http: TestAgent, cardId: string, pageSize = 500): Promise<StatementLine[]> {
  const lines: StatementLine[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: StatementLine[]; nextCursor: string | null } } = await http
      .get(`/v1/cards/${cardId}/transactions`)
      .query({ limit: pageSize, ...(cursor ? { cursor } : {}) })
      .set(bearer(TEST_ADMIN_KEY));
    if (res.status !== 200) throw new Error(`reading a statement failed: ${res.status} ${JSON.stringify(res.body)}`);
    lines.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return lines;
}

/** Sum of signed amounts, two decimals. */
export const sum = (amounts: string[]) => amounts.reduce((s, a) => s.plus(a), new Decimal(0)).toFixed(2);

/** "YYYY-MM-DD" of a moment in Asia/Shanghai (UTC+8, no daylight saving). */
export function shanghaiDay(at: Date | string = new Date()): string {
  return new Date(new Date(at).getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** A merchant's payment list (GET /v1/merchants/:id/payments). */
export function merchantPayments(http: TestAgent, key: string, merchantId: string, query: Record<string, string | number> = {}) {
  return http.get(`/v1/merchants/${merchantId}/payments`).query(query).set(bearer(key));
}

export interface DeskKeys {
  operator: string;
  operatorId: string;
  auditor: string;
  door: string;
  merchant: string;
}

/** One key of each role a money test needs: a desk, an auditor, a door controller and a terminal. */
export async function deskKeys(t: TestApp): Promise<DeskKeys> {
  const op = await apiKey(t, 'operator');
  return { operator: op.key, operatorId: op.id, auditor: (await apiKey(t, 'auditor')).key, door: (await apiKey(t, 'door')).key, merchant: (await terminal(t)).key };
}
