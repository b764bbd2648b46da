import { randomUUID } from 'node:crypto';
import { MIGRATIONS } from '../src/db/migrations';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { rebuildMerchantTotals, totalsDrift } from './support/merchant-totals';
import { approvedPayment, holder, merchantPayments, pay, refund, shanghaiDay, terminal, type Terminal } from './support/money';
import { cardUid, expectError } from './support/residents';

/** End-of-day reconciliation: GET /v1/merchants/:id/payments with declines, filters, paging and totals. */
let t: TestApp;
let keys: { operator: string; auditor: string };

beforeAll(async () => {
  t = await startTestApp();
  keys = { operator: (await apiKey(t, 'operator')).key, auditor: (await apiKey(t, 'auditor')).key };
});
afterAll(async () => {
  await t?.close();
});

/** The list's order: by creation time, then id. */
const inListOrder = (items: Item[]) => [...items].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1));

interface Item {
  id: string;
  status: string;
  amount: string;
  refunded: string;
  createdAt: string;
  declineCode?: string;
}

/** A shop that took: 10.00 (3.00 refunded), 20.00 (all refunded), 5.50, a decline for funds and one for an unknown card. */
async function dayOfTrade(): Promise<{ shop: Terminal; approved: string[]; declined: string[] }> {
  const shop = await terminal(t);
  const h = await holder(t, '40.00');
  const a = await approvedPayment(t.http, shop.key, h.card.uid, '10.00');
  const b = await approvedPayment(t.http, shop.key, h.card.uid, '20.00');
  const noFunds = await pay(t.http, shop.key, { uid: h.card.uid, amount: '100.00' });
  const c = await approvedPayment(t.http, shop.key, h.card.uid, '5.50');
  const unknown = await pay(t.http, shop.key, { uid: cardUid(), amount: '1.00' });
  expect((await refund(t.http, shop.key, a.id, { amount: '3.00' })).status).toBe(201);
  expect((await refund(t.http, shop.key, b.id)).status).toBe(201);
  return { shop, approved: [a.id, b.id, c.id], declined: [noFunds.body.paymentId, unknown.body.paymentId] };
}

test('items in time order, declines included; totals over the filter', async () => {
  const { shop, approved, declined } = await dayOfTrade();
  const res = await merchantPayments(t.http, shop.key, shop.merchant.id);
  expect(res.status).toBe(200);
  const items: Item[] = res.body.items;
  expect(items).toEqual(inListOrder(items));
  const byId = new Map(items.map((i) => [i.id, i]));
  expect([approved[0], approved[1], declined[0], approved[2], declined[1]].map((id) => byId.get(id)).map((i) => i && [i.status, i.amount, i.refunded, i.declineCode])).toEqual([
    ['approved', '10.00', '3.00', undefined],
    ['approved', '20.00', '20.00', undefined],
    ['declined', '100.00', '0.00', 'insufficient_funds'],
    ['approved', '5.50', '0.00', undefined],
    ['declined', '1.00', '0.00', 'unknown_card'],
  ]);
  expect(res.body.nextCursor).toBeNull();
  expect(res.body.totals).toEqual({ approvedCount: 3, approvedAmount: '35.50', declinedCount: 2, refundedAmount: '23.00', netAmount: '12.50' });
  // Each item is what GET /v1/payments/:id says.
  for (const item of items) expect((await t.http.get(`/v1/payments/${item.id}`).set(bearer(TEST_ADMIN_KEY))).body).toEqual(item);
});

test('status=approved and status=declined filter the items and the totals', async () => {
  const { shop, approved, declined } = await dayOfTrade();
  const ok = await merchantPayments(t.http, shop.key, shop.merchant.id, { status: 'approved' });
  expect(ok.body.items.map((i: Item) => i.id).sort()).toEqual([...approved].sort());
  expect(ok.body.totals).toEqual({ approvedCount: 3, approvedAmount: '35.50', declinedCount: 0, refundedAmount: '23.00', netAmount: '12.50' });
  const no = await merchantPayments(t.http, shop.key, shop.merchant.id, { status: 'declined' });
  expect(no.body.items.map((i: Item) => i.id).sort()).toEqual([...declined].sort());
  expect(no.body.totals).toEqual({ approvedCount: 0, approvedAmount: '0.00', declinedCount: 2, refundedAmount: '0.00', netAmount: '0.00' });
});

test('paging with limit and cursor visits every payment once; the totals cover all pages', async () => {
  const { shop, approved, declined } = await dayOfTrade();
  const seen: Item[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await merchantPayments(t.http, shop.key, shop.merchant.id, { limit: 2, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(2);
    expect(res.body.totals).toMatchObject({ approvedCount: 3, declinedCount: 2 });
    seen.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(seen).toEqual(inListOrder(seen));
  expect(seen.map((i) => i.id).sort()).toEqual([...approved, ...declined].sort());
  expect(pages).toBe(3);
});

test("only the merchant's own payments are listed", async () => {
  const { shop } = await dayOfTrade();
  const { shop: next } = await dayOfTrade();
  const mine = await merchantPayments(t.http, shop.key, shop.merchant.id);
  const theirs = await merchantPayments(t.http, next.key, next.merchant.id);
  const ids = new Set(mine.body.items.map((i: Item) => i.id));
  expect(theirs.body.items.filter((i: Item) => ids.has(i.id))).toEqual([]);
  expect(mine.body.items.every((i: { merchantId: string }) => i.merchantId === shop.merchant.id)).toBe(true);
});

describe('date: a day in Asia/Shanghai', () => {
  test("today's payments are listed under today's Shanghai date, not under the day before or after", async () => {
    const shop = await terminal(t);
    const h = await holder(t, '10.00');
    const p = await approvedPayment(t.http, shop.key, h.card.uid, '2.00');
    const day = shanghaiDay(p.createdAt);
    const shift = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86400_000).toISOString().slice(0, 10);
    const today = (await merchantPayments(t.http, shop.key, shop.merchant.id, { date: day })).body;
    expect(today.items.map((i: Item) => i.id)).toEqual([p.id]);
    expect(today.totals).toEqual({ approvedCount: 1, approvedAmount: '2.00', declinedCount: 0, refundedAmount: '0.00', netAmount: '2.00' });
    for (const other of [shift(day, -1), shift(day, 1)]) {
      const res = await merchantPayments(t.http, shop.key, shop.merchant.id, { date: other });
      expect(res.body).toEqual({ items: [], nextCursor: null, totals: { approvedCount: 0, approvedAmount: '0.00', declinedCount: 0, refundedAmount: '0.00', netAmount: '0.00' } });
    }
  });

  test('the day runs from 00:00 to 24:00 at +08:00 (16:00 UTC the day before to 16:00 UTC)', async () => {
    const shop = await terminal(t);
    const h = await holder(t, '10.00');
    const at = ['2026-03-01T15:59:59.999Z', '2026-03-01T16:00:00.000Z', '2026-03-02T15:59:59.999Z', '2026-03-02T16:00:00.000Z'];
    const ids: string[] = [];
    for (const moment of at) {
      const p = await approvedPayment(t.http, shop.key, h.card.uid, '1.00');
      // Only the business record's time is moved, to put it either side of midnight in Shanghai.
      await t.knex('payments').where({ id: p.id }).update({ created_at: moment });
      ids.push(p.id);
    }
    // The kept day totals are rebuilt from the moved records, putting each on its Shanghai day.
    await rebuildMerchantTotals(t.knex, shop.merchant.id);
    const list = async (date: string) => (await merchantPayments(t.http, shop.key, shop.merchant.id, { date })).body;
    expect((await list('2026-03-01')).items.map((i: Item) => i.id)).toEqual([ids[0]]);
    expect((await list('2026-03-02')).items.map((i: Item) => i.id)).toEqual([ids[1], ids[2]]); // distinct times: in time order
    expect((await list('2026-03-02')).totals).toMatchObject({ approvedCount: 2, approvedAmount: '2.00' });
    expect((await list('2026-03-03')).items.map((i: Item) => i.id)).toEqual([ids[3]]);
  });
});

describe('the totals are running sums, kept as payments and refunds are written', () => {
  test("a refund made days later counts on its payment's day, not on the refund's", async () => {
    const shop = await terminal(t);
    const h = await holder(t, '10.00');
    const p = await approvedPayment(t.http, shop.key, h.card.uid, '4.00');
    await t.knex('payments').where({ id: p.id }).update({ created_at: '2026-03-01T04:00:00.000Z' });
    await rebuildMerchantTotals(t.knex, shop.merchant.id);
    expect((await refund(t.http, shop.key, p.id, { amount: '1.50' })).status).toBe(201);
    const on = async (date: string) => (await merchantPayments(t.http, shop.key, shop.merchant.id, { date })).body.totals;
    expect(await on('2026-03-01')).toEqual({ approvedCount: 1, approvedAmount: '4.00', declinedCount: 0, refundedAmount: '1.50', netAmount: '2.50' });
    expect(await on(shanghaiDay(new Date().toISOString()))).toMatchObject({ approvedCount: 0, refundedAmount: '0.00' });
    expect(await totalsDrift(t.knex)).toEqual([]);
  });

  test('the migration that introduced them sums the payments and refunds already there', async () => {
    const { shop } = await dayOfTrade();
    const filters: Record<string, string>[] = [{}, { status: 'approved' }, { status: 'declined' }, { date: shanghaiDay(new Date().toISOString()) }];
    const totals = async () => {
      const all = [];
      for (const f of filters) all.push((await merchantPayments(t.http, shop.key, shop.merchant.id, f)).body.totals);
      return all;
    };
    const before = await totals();
    const migration = MIGRATIONS['20261202000005_merchant_day_totals'];
    await migration.down(t.knex);
    await migration.up(t.knex);
    expect(await totals()).toEqual(before);
    expect(await totalsDrift(t.knex)).toEqual([]);
    // The service writes on after the rebuild (its prepared statements survive the new table).
    const h = await holder(t, '5.00');
    await approvedPayment(t.http, shop.key, h.card.uid, '1.00');
    expect((await merchantPayments(t.http, shop.key, shop.merchant.id)).body.totals.approvedCount).toBe(4);
  });

  test('after everything in this file, every merchant-day sum equals its records', async () => {
    expect(await t.knex('merchant_day_totals').count()).not.toEqual([{ count: '0' }]);
    expect(await totalsDrift(t.knex)).toEqual([]);
  });
});

describe('who may read it', () => {
  test("its own terminal, the admin and the auditor; another merchant's terminal and the desk: 403", async () => {
    const { shop } = await dayOfTrade();
    const other = await terminal(t);
    for (const key of [shop.key, TEST_ADMIN_KEY, keys.auditor]) expect((await merchantPayments(t.http, key, shop.merchant.id)).status).toBe(200);
    expectError(await merchantPayments(t.http, other.key, shop.merchant.id), 403, 'forbidden');
    expectError(await merchantPayments(t.http, keys.operator, shop.merchant.id), 403, 'forbidden');
  });

  test('an unknown merchant: 404 merchant_not_found; a malformed id: 400', async () => {
    expectError(await merchantPayments(t.http, TEST_ADMIN_KEY, randomUUID()), 404, 'merchant_not_found');
    expectError(await merchantPayments(t.http, TEST_ADMIN_KEY, 'shop-1'), 400, 'validation_failed');
  });
});

describe('bad queries: 400 validation_failed naming the parameter', () => {
  const queries: [string, Record<string, string | number>, string][] = [
    ['a date without dashes', { date: '20260301' }, 'date'],
    ['month 13', { date: '2026-13-01' }, 'date'],
    ['a date with a time', { date: '2026-03-01T00:00:00Z' }, 'date'],
    ['an unknown status', { status: 'refunded' }, 'status'],
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 501', { limit: 501 }, 'limit'],
    ['limit not a number', { limit: 'ten' }, 'limit'],
    ['a cursor this endpoint did not issue', { cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    ['an unknown parameter', { merchant: 'x' }, 'merchant'],
  ];
  test.each(queries)('%s', async (_, query, field) => {
    const shop = await terminal(t);
    const res = await merchantPayments(t.http, shop.key, shop.merchant.id, query);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
  });

  test.each([['2026-02-30'], ['2026-04-31'], ['2025-02-29']])('a day that does not exist: %s', async (date) => {
    const shop = await terminal(t);
    const res = await merchantPayments(t.http, shop.key, shop.merchant.id, { date });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('date');
  });
});
