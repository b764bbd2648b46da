import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { payeeAccountId } from '../src/bills/bill-accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { billBody, createBill, importCsv, payBill, reference } from './support/bills';
import { apiKey } from './support/factories';
import { cashOf, holder, verify } from './support/money';
import { ledgerBalance, listening, registerResident } from './support/residents';

/**
 * Desks at the same moment. The app listens on a real port so that the requests are
 * truly in flight together (and on a PostgreSQL server run side by side): a bill is
 * still paid exactly once, and an import still goes in whole or not at all.
 */
let t: TestApp;
let http: TestAgent;
let desks: string[];

beforeAll(async () => {
  t = await startTestApp();
  http = await listening(t);
  desks = [TEST_ADMIN_KEY];
  for (let i = 0; i < 3; i++) desks.push((await apiKey(t, 'operator')).key);
});
afterAll(async () => {
  await t?.close();
});

type Res = { status: number; body: Record<string, any>; headers: Record<string, string> };
const tally = (results: Res[]) =>
  results.reduce<Record<string, number>>((acc, r) => {
    const k = `${r.status} ${r.body.code ?? ''}`.trim();
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

test('two desks paying one bill at once: exactly one 201, the other 409 bill_already_paid; the money moves once', async () => {
  const h = await holder(t, '100.00');
  const bill = await createBill(t, h.residentId, { amount: '40.00' });
  const results = await Promise.all([payBill(http, bill.id, { cardId: h.card.id }, { key: desks[1] }), payBill(http, bill.id, { cardId: h.card.id }, { key: desks[2] })]);
  expect(tally(results)).toEqual({ '201': 1, '409 bill_already_paid': 1 });
  expect(await cashOf(t, h.residentId)).toBe('60.00');
  expect(await t.knex('bill_payments').where({ bill_id: bill.id })).toHaveLength(1);
});

test('20 bills, each paid by 4 desks at once: 20 payments, 60 refusals, every fen accounted for', async () => {
  const holders = await Promise.all(Array.from({ length: 5 }, () => holder(t, '1000.00')));
  const bills = [];
  for (let i = 0; i < 20; i++) bills.push({ bill: await createBill(t, holders[i % 5].residentId, { amount: `${10 + i}.50`, payee: 'gas' }), h: holders[i % 5] });
  const owedBefore = new Decimal(await ledgerBalance(t, payeeAccountId('gas')));

  const requests = bills.flatMap(({ bill, h }) => desks.map((key) => () => payBill(http, bill.id, { cardId: h.card.id }, { key })));
  const results = await Promise.all(requests.map((r) => r()));
  expect(tally(results)).toEqual({ '201': 20, '409 bill_already_paid': 60 });

  const total = bills.reduce((s, { bill }) => s.plus(bill.amount), new Decimal(0));
  const owedAfter = new Decimal(await ledgerBalance(t, payeeAccountId('gas')));
  expect(owedAfter.minus(owedBefore).toFixed(2)).toBe(total.toFixed(2));
  for (const h of holders) {
    const paid = bills.filter((b) => b.h === h).reduce((s, { bill }) => s.plus(bill.amount), new Decimal(0));
    expect(await cashOf(t, h.residentId)).toBe(new Decimal(1000).minus(paid).toFixed(2));
  }
  expect(Number((await t.knex('bill_payments').whereIn('bill_id', bills.map((b) => b.bill.id)).count<{ n: string }[]>('* as n'))[0].n)).toBe(20);
});

test('one resident paying many bills at once from too little cash: what fits is paid, the rest is 402, the wallet never goes below zero', async () => {
  const h = await holder(t, '100.00');
  const bills = [];
  for (let i = 0; i < 12; i++) bills.push(await createBill(t, h.residentId, { amount: '15.00' }));
  const results = await Promise.all(bills.map((b, i) => payBill(http, b.id, { cardId: h.card.id }, { key: desks[i % desks.length] })));
  expect(tally(results)).toEqual({ '201': 6, '402 insufficient_funds': 6 });
  expect(await cashOf(t, h.residentId)).toBe('10.00');
});

test('the same Idempotency-Key sent by one desk 5 times at once: one payment; the rest replay it or are told it is in progress', async () => {
  const h = await holder(t, '100.00');
  const bill = await createBill(t, h.residentId, { amount: '25.00' });
  const idem = randomUUID();
  const results = await Promise.all(Array.from({ length: 5 }, () => payBill(http, bill.id, { cardId: h.card.id }, { idem })));
  for (const r of results) expect(['201', '409 idempotency_key_in_progress']).toContain(`${r.status} ${r.body.code ?? ''}`.trim());
  const paid = results.filter((r) => r.status === 201);
  expect(paid.length).toBeGreaterThanOrEqual(1);
  for (const r of paid) expect(r.body).toEqual(paid[0].body);
  expect(paid.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
  expect(await cashOf(t, h.residentId)).toBe('75.00');
});

test('one reference entered at 5 desks at once: one 201, four 409 bill_exists', async () => {
  const r = await registerResident(t);
  const ref = reference('SAME');
  const results = await Promise.all(Array.from({ length: 5 }, () => http.post('/v1/bills').set(bearer(TEST_ADMIN_KEY)).send(billBody(r.id, { reference: ref }))));
  expect(tally(results)).toEqual({ '201': 1, '409 bill_exists': 4 });
  expect(await t.knex('bills').where({ reference: ref })).toHaveLength(1);
});

test('two imports racing for the same references: one goes in whole, the other is refused whole', async () => {
  const r = await registerResident(t);
  const shared = Array.from({ length: 50 }, () => reference('RACE'));
  const file = (own: string) =>
    ['residentId,payee,amount,dueDate,reference', ...shared.map((ref) => `${r.id},water,1.00,2099-12-15,${ref}`), `${r.id},water,1.00,2099-12-15,${own}`].join('\n');
  const owns = [reference('A'), reference('B'), reference('C')];
  const results = await Promise.all(owns.map((own) => importCsv(http, file(own))));
  expect(tally(results)).toEqual({ '201': 1, '422 import_failed': 2 });
  const winner = owns[results.findIndex((res) => res.status === 201)];
  const stored = await t.knex('bills').where({ resident_id: r.id }).pluck('reference');
  expect(stored.sort()).toEqual([...shared, winner].sort());
  for (const res of results.filter((x) => x.status === 422)) {
    expect(res.body.errors.length).toBe(50);
    expect(res.body.errors.every((e: { code: string; field: string }) => e.code === 'bill_exists' && e.field === 'reference')).toBe(true);
  }
});

test('after all of the above the ledger verifies', async () => {
  expect(await verify(http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
