import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { cashWalletId, merchantAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { totalsDrift } from './support/merchant-totals';
import { apiCash, approvedPayment, cashOf, holder, merchantPayments, moneyState, owedTo, pay, refund, statementOf, sum, terminal, topUp, verify, type Terminal } from './support/money';
import { expectError, listening } from './support/residents';
import { readTestEnv } from './support/test-env';
import { PaymentBatcher } from '../src/payments/payment-batcher';

/**
 * Terminals and desks at the same moment. The app listens on a real port so that the
 * requests are truly in flight together (batched into shared transactions, and on a
 * PostgreSQL server run side by side); money must still add up to the fen.
 */
let t: TestApp;
let http: TestAgent;
let shop: Terminal;
let desks: string[];

beforeAll(async () => {
  t = await startTestApp();
  http = await listening(t);
  shop = await terminal(t);
  desks = [TEST_ADMIN_KEY];
  for (let i = 0; i < 3; i++) desks.push((await apiKey(t, 'operator')).key);
});
afterAll(async () => {
  await t?.close();
});

type Res = { status: number; body: Record<string, any>; headers: Record<string, string> };
const together = (requests: (() => PromiseLike<Res>)[]): Promise<Res[]> => Promise.all(requests.map((r) => r()));
const tally = (results: Res[]) =>
  results.reduce<Record<string, number>>((acc, r) => {
    const k = `${r.status} ${r.body.code ?? ''}`.trim();
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

/** Every wallet's balance as it stood after each of its entries, oldest first, read from the statement. */
function runningBalances(lines: { amount: string }[]): Decimal[] {
  let balance = new Decimal(0);
  return [...lines].reverse().map((l) => (balance = balance.plus(l.amount)));
}

test('200 payments of 3.00 on a card holding 300.00, racing 100 refunds and top-ups: every fen accounted for', async () => {
  // 450.00 in, 50 earlier payments of 3.00 out: 300.00 left and 50 payments that can be refunded.
  const h = await holder(t, '450.00');
  const earlier: string[] = [];
  for (let i = 0; i < 50; i++) earlier.push((await approvedPayment(http, shop.key, h.card.uid, '3.00')).id);
  expect(await cashOf(t, h.residentId)).toBe('300.00');
  const owedBefore = new Decimal(await owedTo(t, shop.merchant.id));

  // 50 refunds, one per earlier payment: all of it, 1.00, 2.00, one fen too many (409), 3.00.
  const refundBodies = [{}, { amount: '1.00' }, { amount: '2.00' }, { amount: '3.01' }, { amount: '3.00' }];
  const refunds = earlier.map((paymentId, i) => ({ paymentId, body: refundBodies[i % 5] }));
  const topUps = Array.from({ length: 50 }, (_, i) => ({ amount: `${1 + (i % 3)}.50` }));
  const requests: { kind: 'pay' | 'refund' | 'topUp'; send: () => PromiseLike<Res> }[] = [
    ...Array.from({ length: 200 }, () => ({ kind: 'pay' as const, send: () => pay(http, shop.key, { uid: h.card.uid, amount: '3.00' }) })),
    ...refunds.map((r, i) => ({ kind: 'refund' as const, send: () => refund(http, i % 2 ? TEST_ADMIN_KEY : shop.key, r.paymentId, r.body) })),
    ...topUps.map((u, i) => ({ kind: 'topUp' as const, send: () => topUp(http, { cardId: h.card.id, amount: u.amount, method: 'cash' }, { key: desks[i % desks.length] }) })),
  ];
  // Interleave the kinds so they reach the server mixed.
  const order = requests.map((_, i) => i).sort((a, b) => ((a * 7919) % 301) - ((b * 7919) % 301));
  const answers = await together(order.map((i) => requests[i].send));
  const results = new Map(order.map((i, n) => [i, answers[n]]));
  const of = (kind: string) => requests.map((r, i) => (r.kind === kind ? results.get(i)! : null)).filter((r): r is Res => r !== null);
  const payments = of('pay');
  const refundResults = of('refund');
  const topUpResults = of('topUp');

  // Every answer is the one the contract gives that request.
  for (const k of Object.keys(tally(payments))) expect(['201', '402 insufficient_funds']).toContain(k);
  expect(refundResults.map((r) => `${r.status} ${r.body.code ?? r.body.amount}`)).toEqual(
    refunds.map((_, i) => ['201 3.00', '201 1.00', '201 2.00', '409 refund_exceeds_payment', '201 3.00'][i % 5]),
  );
  expect(tally(topUpResults)).toEqual({ '201': 50 });

  const approved = payments.filter((r) => r.status === 201);
  const declined = payments.filter((r) => r.status === 402);
  const refunded = refundResults.filter((r) => r.status === 201);
  const toppedUp = sum(topUps.map((u) => u.amount));
  expect(approved.length + declined.length).toBe(200);
  expect(declined.length).toBeGreaterThan(0); // 600.00 asked of at most 300 + 124 + 90

  // Refunds: each payment says what it refunded, and it went back to the wallet.
  for (const [i, id] of earlier.entries()) {
    expect((await http.get(`/v1/payments/${id}`).set(bearer(TEST_ADMIN_KEY))).body.refunded).toBe(['3.00', '1.00', '2.00', '0.00', '3.00'][i % 5]);
  }
  const refundTotal = sum(refunded.map((r) => r.body.amount));
  expect(refundTotal).toBe('90.00');

  // The wallet: 300 + top-ups + refunds − 3.00 per approved payment; never below zero on the way.
  const expected = new Decimal(300).plus(toppedUp).plus(refundTotal).minus(new Decimal(3).times(approved.length)).toFixed(2);
  expect(await cashOf(t, h.residentId)).toBe(expected);
  expect(await apiCash(http, h.card.id)).toBe(expected);
  const lines = await statementOf(http, h.card.id, 97);
  expect(sum(lines.map((l) => l.amount))).toBe(expected);
  expect(runningBalances(lines).filter((b) => b.isNegative())).toEqual([]);
  expect(lines.filter((l) => l.kind === 'payment')).toHaveLength(50 + approved.length);
  expect(lines.filter((l) => l.kind === 'refund')).toHaveLength(refunded.length);
  expect(lines.filter((l) => l.kind === 'top_up')).toHaveLength(51);

  // Every approved payment is paid for: one recorded row, one ledger transaction of wallet −3.00 / merchant +3.00.
  const ids = approved.map((r) => r.body.id as string);
  expect(new Set(ids).size).toBe(approved.length);
  const postings = await t.knex('payments as p')
    .join('ledger_entries as e', 'e.transaction_id', 'p.transaction_id')
    .whereIn('p.id', ids)
    .select('p.id', 'p.status', 'e.account_id', 'e.amount');
  expect(postings).toHaveLength(2 * approved.length);
  for (const p of postings) {
    expect(p.status).toBe('approved');
    expect([`${cashWalletId(h.residentId)} -3.00`, `${merchantAccountId(shop.merchant.id)} 3.00`]).toContain(`${p.account_id} ${p.amount}`);
  }
  // Every decline is recorded and moved nothing.
  const declinedRows = await t.knex('payments').whereIn('id', declined.map((r) => r.body.paymentId)).select('status', 'transaction_id');
  expect(declinedRows).toEqual(declined.map(() => ({ status: 'declined', transaction_id: null })));
  // The merchant is owed exactly what it kept.
  expect(await owedTo(t, shop.merchant.id)).toBe(owedBefore.plus(new Decimal(3).times(approved.length)).minus(refundTotal).toFixed(2));

  // The merchant's list pages through the batch (many rows share one creation time) without losing or repeating one.
  const listed: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await merchantPayments(http, shop.key, shop.merchant.id, { limit: 37, ...(cursor ? { cursor } : {}) });
    listed.push(...res.body.items.map((i: { id: string }) => i.id));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  const stored = (await t.knex('payments').where({ merchant_id: shop.merchant.id }).select('id')).map((r) => r.id as string);
  expect(listed.length).toBe(stored.length);
  expect([...listed].sort()).toEqual(stored.sort());

  const report = await verify(http);
  expect(report).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
  // The merchant's kept day totals (added to by every batch and refund) still equal what they sum.
  expect(await totalsDrift(t.knex)).toEqual([]);
});

describe('one request sent 20 times at once with one Idempotency-Key', () => {
  const N = 20;
  function expectOneExecution(results: Res[], status: number) {
    const fresh = results.filter((r) => r.headers['idempotent-replayed'] === undefined);
    const replays = results.filter((r) => r.headers['idempotent-replayed'] === 'true');
    expect(fresh).toHaveLength(1);
    expect(replays).toHaveLength(N - 1);
    expect(results.map((r) => r.status)).toEqual(results.map(() => status));
    for (const r of replays) expect(r.body).toEqual(fresh[0].body);
    return fresh[0];
  }

  test('a payment: charged once, all 20 answers equal', async () => {
    const h = await holder(t, '100.00');
    const idem = randomUUID();
    const results = await together(Array.from({ length: N }, () => () => pay(http, shop.key, { uid: h.card.uid, amount: '7.00', description: 'one lunch' }, { idem })));
    const first = expectOneExecution(results, 201);
    expect(first.body.balance.cash).toBe('93.00');
    expect(await cashOf(t, h.residentId)).toBe('93.00');
    expect(await t.knex('payments').where({ resident_id: h.residentId }).select('id')).toEqual([{ id: first.body.id }]);
    expect((await statementOf(http, h.card.id)).filter((l) => l.kind === 'payment')).toHaveLength(1);
  });

  test('a decline: recorded once, all 20 answers equal', async () => {
    const h = await holder(t, '1.00');
    const idem = randomUUID();
    const results = await together(Array.from({ length: N }, () => () => pay(http, shop.key, { uid: h.card.uid, amount: '7.00' }, { idem })));
    const first = expectOneExecution(results, 402);
    expect(first.body.code).toBe('insufficient_funds');
    expect(await t.knex('payments').where({ uid: h.card.uid }).select('id')).toEqual([{ id: first.body.paymentId }]);
  });

  test('a top-up: credited once', async () => {
    const h = await holder(t);
    const idem = randomUUID();
    const results = await together(Array.from({ length: N }, () => () => topUp(http, { cardId: h.card.id, amount: '15.00', method: 'cash' }, { idem })));
    expectOneExecution(results, 201);
    expect(await cashOf(t, h.residentId)).toBe('15.00');
    expect(await t.knex('top_ups').where({ card_id: h.card.id })).toHaveLength(1);
  });

  test('a refund: refunded once', async () => {
    const h = await holder(t, '10.00');
    const p = await approvedPayment(http, shop.key, h.card.uid, '8.00');
    const idem = randomUUID();
    const results = await together(Array.from({ length: N }, () => () => refund(http, shop.key, p.id, { amount: '3.00' }, { idem })));
    expectOneExecution(results, 201);
    expect(await cashOf(t, h.residentId)).toBe('5.00');
    expect(await t.knex('refunds').where({ payment_id: p.id })).toHaveLength(1);
  });

  test('two bodies under one key at once: money moves once; every 201 is that one payment, every other answer 422', async () => {
    const h = await holder(t, '100.00');
    const idem = randomUUID();
    const before = await moneyState(t);
    const results = await together(Array.from({ length: N }, (_, i) => () => pay(http, shop.key, { uid: h.card.uid, amount: i % 2 ? '2.00' : '4.00' }, { idem })));
    const fresh = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    for (const r of results) {
      if (r.status === 201) expect(r.body).toEqual(fresh[0].body);
      else expect({ status: r.status, code: r.body.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
    }
    // Exactly the requests that sent the other body got 422 is what the contract asks; that a twin of the
    // winner can get 422 too when it shares a batch with the other body is shown deterministically below.
    expect(results.filter((r, i) => r.status === 422 && (i % 2 ? '2.00' : '4.00') !== fresh[0].body.amount).length).toBe(N / 2);
    expect(await cashOf(t, h.residentId)).toBe(new Decimal(100).minus(fresh[0].body.amount).toFixed(2));
    expect((await moneyState(t)).ledgerTransactions).toBe(before.ledgerTransactions + 1);
  });

  test('a retry of an executed payment sharing a batch with another body for its key: the retry is replayed, only the other body is 422', async () => {
    const h = await holder(t, '100.00');
    const batcher = t.app.get(PaymentBatcher);
    const by = { keyId: shop.keyId, role: 'merchant' as const, name: 'till', merchantId: shop.merchant.id, doorIds: [] };
    const key = randomUUID();
    const a = { idempotency: { apiKeyId: shop.keyId, key, fingerprint: 'a'.repeat(64) }, by, uid: h.card.uid, amount: new Decimal('4.00') };
    const b = { idempotency: { apiKeyId: shop.keyId, key, fingerprint: 'b'.repeat(64) }, by, uid: h.card.uid, amount: new Decimal('2.00') };
    const first = await batcher.submit(a);
    expect(first).toMatchObject({ statusCode: 201, replayed: false });
    // Submitted in one turn of the event loop: one batch, B first.
    const [otherBody, retry] = await Promise.allSettled([batcher.submit(b), batcher.submit(a)]);
    expect(otherBody).toMatchObject({ status: 'rejected', reason: { code: 'idempotency_key_reused' } });
    expect(retry).toEqual({ status: 'fulfilled', value: { ...first, replayed: true } });
    expect(await cashOf(t, h.residentId)).toBe('96.00');
  });
});

/** Two refunds of one payment at once, each with its own key; on a server both are made to wait on the payment's lock first. */
async function twoRefundsAtOnce(paymentId: string, bodies: [Record<string, unknown>, Record<string, unknown>]): Promise<Res[]> {
  const send = () => together(bodies.map((body, i) => () => refund(http, i ? TEST_ADMIN_KEY : shop.key, paymentId, body)));
  if (t.db.mode !== 'server') return send();
  const side = await t.db.connect();
  try {
    const holdLock = await side.transaction();
    await holdLock('payments').where({ id: paymentId }).forUpdate().first('id');
    const pending = send();
    // Both refunds are in their transactions, waiting for the payment row.
    for (let i = 0; ; i++) {
      const { rows } = await side.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (rows[0].n >= 2) break;
      if (i > 400) throw new Error('the refunds never waited for the payment lock');
      await new Promise((r) => setTimeout(r, 10));
    }
    await holdLock.rollback();
    return await pending;
  } finally {
    await side.destroy();
  }
}

/**
 * Concurrent refunds of one payment take turns on its row lock; the one that waited must
 * see the refund it waited for (a read in the same statement as the lock would not).
 */
const refundRace = test;

refundRace('two refunds of all that is left of one payment at once: one 201, the other 409 refund_exceeds_payment', async () => {
  const h = await holder(t, '10.00');
  const p = await approvedPayment(http, shop.key, h.card.uid, '6.00');
  const results = await twoRefundsAtOnce(p.id, [{}, {}]);
  expect(tally(results)).toEqual({ '201': 1, '409 refund_exceeds_payment': 1 });
  expect(await cashOf(t, h.residentId)).toBe('10.00');
});

refundRace('two refunds of 4.00 of a 6.00 payment at once: one 201, the other 409 refund_exceeds_payment', async () => {
  const h = await holder(t, '10.00');
  const p = await approvedPayment(http, shop.key, h.card.uid, '6.00');
  const results = await twoRefundsAtOnce(p.id, [{ amount: '4.00' }, { amount: '4.00' }]);
  expect(tally(results)).toEqual({ '201': 1, '409 refund_exceeds_payment': 1 });
  expect(await cashOf(t, h.residentId)).toBe('8.00');
});

test('two refunds that fit in the payment at once: both 201, and never more than the payment goes back', async () => {
  const h = await holder(t, '10.00');
  const p = await approvedPayment(http, shop.key, h.card.uid, '6.00');
  const results = await twoRefundsAtOnce(p.id, [{ amount: '2.00' }, { amount: '4.00' }]);
  expect(tally(results)).toEqual({ '201': 2 });
  expect(await cashOf(t, h.residentId)).toBe('10.00');
  expect((await http.get(`/v1/payments/${p.id}`).set(bearer(TEST_ADMIN_KEY))).body.refunded).toBe('6.00');
  expectError(await refund(http, shop.key, p.id), 409, 'refund_exceeds_payment');
});

test('20 refunds of one payment at once on any database: never more than the payment goes back, the books add up', async () => {
  const h = await holder(t, '10.00');
  const p = await approvedPayment(http, shop.key, h.card.uid, '6.00');
  const results = await together(Array.from({ length: 20 }, (_, i) => () => refund(http, i % 2 ? shop.key : TEST_ADMIN_KEY, p.id, i % 3 ? { amount: '1.00' } : {})));
  const refunded = sum(results.filter((r) => r.status === 201).map((r) => r.body.amount));
  expect(new Decimal(refunded).lte('6.00')).toBe(true);
  expect(await cashOf(t, h.residentId)).toBe(new Decimal('4.00').plus(refunded).toFixed(2));
  expect((await http.get(`/v1/payments/${p.id}`).set(bearer(TEST_ADMIN_KEY))).body.refunded).toBe(refunded);
  expect((await t.knex('refunds').where({ payment_id: p.id })).length).toBe(results.filter((r) => r.status === 201).length);
  expect(await verify(http)).toMatchObject({ ok: true, problems: [] });
  expect(await totalsDrift(t.knex)).toEqual([]);
});

test('top-ups racing to the cap: the wallet never ends above 5000.00', async () => {
  const h = await holder(t, '4900.00');
  const results = await together(Array.from({ length: 30 }, (_, i) => () => topUp(http, { cardId: h.card.id, amount: '10.00', method: 'cash' }, { key: desks[i % desks.length] })));
  expect(tally(results)).toEqual({ '201': 10, '409 balance_limit_exceeded': 20 });
  expect(await cashOf(t, h.residentId)).toBe('5000.00');
  expect(results.filter((r) => r.status === 201).map((r) => r.body.balance.cash).sort()).toEqual(Array.from({ length: 10 }, (_, i) => (4910 + 10 * i).toFixed(2)));
});

test('a card locked while payments are in flight: every answer is approved or card_not_active, and the books still add up', async () => {
  const h = await holder(t, '100.00');
  const results = await together([
    ...Array.from({ length: 30 }, () => () => pay(http, shop.key, { uid: h.card.uid, amount: '1.00' })),
    () => http.post(`/v1/cards/${h.card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' }) as unknown as PromiseLike<Res>,
  ]);
  const lock = results.pop()!;
  expect(lock.status).toBe(200);
  for (const k of Object.keys(tally(results))) expect(['201', '402 card_not_active']).toContain(k);
  const approved = results.filter((r) => r.status === 201).length;
  expect(await cashOf(t, h.residentId)).toBe((100 - approved).toFixed(2));
  // Once the lock has answered, the card pays no more.
  expect((await pay(http, shop.key, { uid: h.card.uid, amount: '1.00' })).body.code).toBe('card_not_active');
  expect(await verify(http)).toMatchObject({ ok: true, problems: [] });
});
