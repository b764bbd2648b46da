import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { approvedPayment, pay, refund, terminal, topUp, verify, type Terminal } from './support/money';
import { listening } from './support/residents';
import { readTestEnv } from './support/test-env';
import {
  allowanceBody,
  budgetOf,
  discountBody,
  disburse,
  disburseOk,
  expireLots,
  lotsOf,
  personAged,
  program,
  reconciledReport,
  slug,
  sweep,
  type Person,
  needsDisbursement,
} from './support/subsidies';

/**
 * Disbursements, payments, refunds, sweeps and closes at the same moment, over a real
 * port (batched into shared transactions, and on a PostgreSQL server side by side).
 * The scheduled sweeper keeps running here: it is one more thing racing.
 */
let t: TestApp;
let http: TestAgent;

beforeAll(async () => {
  t = await startTestApp({ config: { subsidySweepIntervalMs: 1000 } });
  http = await listening(t);
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
const total = (amounts: Decimal.Value[]) => amounts.reduce<Decimal>((s, a) => s.plus(a), new Decimal(0));

async function people(n: number, years: number, tags: string[]): Promise<Person[]> {
  const out: Person[] = [];
  for (let i = 0; i < n; i++) out.push(await personAged(t, years, tags));
  return out;
}

needsDisbursement('eight disbursements of one period with different keys: exactly one happens', async () => {
  const tag = slug();
  const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '25.00' }), '1000.00');
  const residents = await people(6, 70, [tag]);
  const results = await together(Array.from({ length: 8 }, () => () => disburse(http, p.id, { period: '2026-11' })));
  expect(tally(results)).toEqual({ '201': 1, '409 period_already_disbursed': 7 });
  expect(results.find((r) => r.status === 201)!.body).toMatchObject({ recipients: 6, total: '150.00' });
  const lots = await lotsOf(t, { program_id: p.id });
  expect(lots.map((l) => l.resident_id).sort()).toEqual(residents.map((r) => r.residentId).sort());
  expect(lots.every((l) => l.balance === '25.00')).toBe(true);
  expect(Number((await t.knex('subsidy_disbursements').where({ program_id: p.id }).count<{ n: string }[]>('* as n'))[0].n)).toBe(1);
  expect(await reconciledReport(t, http, p.id)).toMatchObject({ disbursed: '150.00', budget: '850.00', recipients: 6 });
});

needsDisbursement('five disbursements with one Idempotency-Key: one executes, the others replay it or are told it is in progress', async () => {
  const tag = slug();
  const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '10.00' }), '100.00');
  await people(3, 70, [tag]);
  const idem = randomUUID();
  const results = await together(Array.from({ length: 5 }, () => () => disburse(http, p.id, { period: '2026-11' }, { idem })));
  const fresh = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
  expect(fresh).toHaveLength(1);
  for (const r of results) {
    if (r.status === 201) expect(r.body).toEqual(fresh[0].body);
    else expect(`${r.status} ${r.body.code}`).toBe('409 idempotency_key_in_progress');
  }
  expect(await budgetOf(t, p.id)).toBe('70.00');
});

test('a discount budget for exactly five meals, fifteen eligible residents paying at once: five discounts, never below zero', async () => {
  const category = slug('canteen');
  const shop = await terminal(t, category);
  const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '2.00', minSpend: '15.00' }), '10.00');
  const buyers = await people(15, 70, []);
  for (const b of buyers) await topUp(http, { cardId: b.card.id, amount: '20.00', method: 'cash' });
  const results = await together(buyers.map((b) => () => pay(http, shop.key, { uid: b.card.uid, amount: '15.00' })));
  expect(tally(results)).toEqual({ '201': 15 });
  const discounted = results.filter((r) => r.body.funding.some((l: { wallet: string }) => l.wallet === 'discount'));
  expect(discounted).toHaveLength(5);
  for (const r of results) {
    expect(total(r.body.funding.map((l: { amount: string }) => l.amount)).toFixed(2)).toBe('15.00');
  }
  expect(await budgetOf(t, p.id)).toBe('0.00');
  expect(await reconciledReport(t, http, p.id)).toMatchObject({ funded: '10.00', discounted: '10.00', budget: '0.00' });
  expect(await verify(http)).toMatchObject({ ok: true, problems: [] });
});

test('ten meals at once by one resident with dailyLimit 2: exactly two are discounted', async () => {
  const category = slug('canteen');
  const shop = await terminal(t, category);
  const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '3.00', minSpend: '8.00', dailyLimit: 2 }), '100.00');
  const [buyer] = await people(1, 82, []);
  await topUp(http, { cardId: buyer.card.id, amount: '100.00', method: 'cash' });
  const results = await together(Array.from({ length: 10 }, () => () => pay(http, shop.key, { uid: buyer.card.uid, amount: '8.00' })));
  expect(tally(results)).toEqual({ '201': 10 });
  expect(results.filter((r) => r.body.funding[0].wallet === 'discount')).toHaveLength(2);
  expect(await budgetOf(t, p.id)).toBe('94.00');
  expect(await t.knex('subsidy_discount_uses').where({ resident_id: buyer.residentId }).select('uses')).toEqual([{ uses: 2 }]);
});

needsDisbursement('disbursement, payments, refunds, sweeps and a close all at once: the ledger verifies and the program reconciles to the fen', async () => {
  const tag = slug();
  const category = slug('canteen');
  const shop = await terminal(t, category);
  const p = await program(t, allowanceBody({ merchantCategories: [category], eligibility: { tags: [tag] }, amount: '20.00' }), '480.00'); // two periods for twelve
  const d = await program(t, discountBody({ merchantCategories: [category], eligibility: { tags: [tag] }, amount: '1.00', minSpend: '5.00', dailyLimit: 3 }), '20.00');
  const residents = await people(12, 70, [tag]);
  for (const r of residents.slice(0, 6)) await topUp(http, { cardId: r.card.id, amount: '30.00', method: 'cash' });
  await disburseOk(http, p.id, '2026-10');
  // Earlier payments to refund during the race, then half of the October lots expire.
  const earlier = [];
  for (const r of residents.slice(0, 4)) earlier.push(await approvedPayment(http, shop.key, r.card.uid, '6.00'));
  await expireLots(t, { program_id: p.id, resident_id: residents[0].residentId });
  for (const r of residents.slice(6, 11)) await expireLots(t, { program_id: p.id, resident_id: r.residentId });
  const closing = residents[11];

  const work: { kind: string; send: () => PromiseLike<Res> }[] = [
    { kind: 'disburse', send: () => disburse(http, p.id, { period: '2026-11' }) },
    { kind: 'disburse', send: () => disburse(http, p.id, { period: '2026-11' }) },
    ...Array.from({ length: 3 }, () => ({ kind: 'sweep', send: () => sweep(http, p.id) })),
    ...earlier.map((e) => ({ kind: 'refund', send: () => refund(http, shop.key, e.id) })),
    { kind: 'close', send: () => http.post(`/v1/cards/${closing.card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({}) },
    ...Array.from({ length: 48 }, (_, i) => ({ kind: 'pay', send: () => pay(http, shop.key, { uid: residents[i % 12].card.uid, amount: `${5 + (i % 4)}.${i % 2 ? '50' : '00'}` }) })),
  ];
  const order = work.map((_, i) => i).sort((a, b) => ((a * 7919) % 61) - ((b * 7919) % 61));
  const answers = await together(order.map((i) => work[i].send));
  const of = (kind: string) => order.map((i, n) => (work[i].kind === kind ? answers[n] : null)).filter((r): r is Res => r !== null);

  expect(tally(of('disburse'))).toEqual({ '201': 1, '409 period_already_disbursed': 1 });
  const november = of('disburse').find((r) => r.status === 201)!.body;
  expect([11, 12]).toContain(november.recipients); // the closing card gets November's lot only if the close came after
  for (const r of of('sweep')) expect([200, 201]).toContain(r.status);
  expect(tally(of('refund'))).toEqual({ '201': 4 });
  expect(of('close')[0].status).toBe(200);
  for (const k of Object.keys(tally(of('pay')))) expect(['201', '402 insufficient_funds', '402 card_not_active']).toContain(k);

  // Let everything that is left expire and be swept, then account for every fen of the allowance.
  await expireLots(t, { program_id: p.id });
  const last = (await sweep(http, p.id)).body;
  const lines = (rs: Res[], key: 'funding') => rs.filter((r) => r.status === 201).flatMap((r) => r.body[key] as { wallet: string; programId?: string; amount: string; returnedToProgram?: boolean }[]);
  const paidFromLots = total([...lines(of('pay'), 'funding'), ...earlier.flatMap((e) => e.funding)].filter((l) => l.wallet === 'subsidy' && l.programId === p.id).map((l) => l.amount));
  const refundLines = lines(of('refund'), 'funding').filter((l) => l.wallet === 'subsidy' && l.programId === p.id);
  const refundedToLots = total(refundLines.filter((l) => !l.returnedToProgram).map((l) => l.amount));
  const refundedToProgram = total(refundLines.filter((l) => l.returnedToProgram).map((l) => l.amount));
  const swept = total([...of('sweep').map((r) => r.body.amount), last.amount]);
  const closed = total((of('close')[0].body.subsidiesReturned as { programId: string; amount: string }[]).filter((s) => s.programId === p.id).map((s) => s.amount));

  const report = await reconciledReport(t, http, p.id);
  const disbursed = new Decimal(20).times(12 + november.recipients);
  expect(report.disbursed).toBe(disbursed.toFixed(2));
  expect(report.spent).toBe(paidFromLots.minus(refundedToLots).toFixed(2));
  // Whatever the scheduled sweeper took is in the ledger too: returned counts every way back.
  const scheduled = new Decimal(report.returned).minus(swept).minus(closed).minus(refundedToProgram);
  expect(scheduled.gte(0)).toBe(true);
  expect(report.returned).toBe(disbursed.minus(report.spent).plus(refundedToProgram).toFixed(2));
  // Every lot expired and swept: only what was spent (less refunds paid back to the program) is gone.
  expect(report.budget).toBe(new Decimal(480).minus(report.spent).plus(refundedToProgram).toFixed(2));
  for (const l of await lotsOf(t, { program_id: p.id })) expect(l.balance).toBe('0.00');

  const discounts = await reconciledReport(t, http, d.id);
  const discountLines = lines(of('pay'), 'funding').filter((l) => l.wallet === 'discount');
  expect(new Decimal(discounts.discounted).minus(discounts.returned).toFixed(2)).toBe(
    total([...discountLines, ...earlier.flatMap((e) => e.funding).filter((l) => l.wallet === 'discount')].map((l) => l.amount))
      .minus(total(lines(of('refund'), 'funding').filter((l) => l.wallet === 'discount').map((l) => l.amount)))
      .toFixed(2),
  );
  expect(await verify(http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});

needsDisbursement('a close racing payments that draw on the same lot: the lot is spent or returned, never both', async () => {
  const tag = slug();
  const category = slug('canteen');
  const shop = await terminal(t, category);
  const p = await program(t, allowanceBody({ merchantCategories: [category], eligibility: { tags: [tag] }, amount: '50.00' }), '50.00');
  const [person] = await people(1, 70, [tag]);
  await disburseOk(http, p.id, '2026-11');
  const results = await together([
    ...Array.from({ length: 6 }, () => () => pay(http, shop.key, { uid: person.card.uid, amount: '4.00' })),
    () => http.post(`/v1/cards/${person.card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({}),
    ...Array.from({ length: 6 }, () => () => pay(http, shop.key, { uid: person.card.uid, amount: '4.00' })),
  ]);
  const close = results[6];
  expect(close.status).toBe(200);
  const paid = results.filter((r) => r.status === 201);
  for (const r of results.filter((r) => r.status === 402)) expect(r.body.code).toBe('card_not_active');
  const returned = total((close.body.subsidiesReturned as { amount: string }[]).map((s) => s.amount));
  expect(returned.plus(new Decimal(4).times(paid.length)).toFixed(2)).toBe('50.00');
  expect(await budgetOf(t, p.id)).toBe(returned.toFixed(2));
  expect(await reconciledReport(t, http, p.id)).toMatchObject({ spent: new Decimal(4).times(paid.length).toFixed(2), returned: returned.toFixed(2) });
});

test('closes racing a disbursement: no closed card is left holding allowance money', async () => {
  for (let round = 0; round < 3; round++) {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '10.00' }), '300.00');
    const residents = await people(30, 70, [tag]);
    const close = (r: Person) => () => http.post(`/v1/cards/${r.card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({});
    const results = await together([...residents.slice(0, 15).map(close), () => disburse(http, p.id, { period: '2026-11' }), ...residents.slice(15).map(close)]);
    expect(tally(results)).toEqual({ '200': 30, '201': 1 });
    const left = (await lotsOf(t, { program_id: p.id })).filter((l) => l.balance !== '0.00');
    expect(left).toEqual([]);
    expect(await reconciledReport(t, http, p.id)).toMatchObject({ budget: '300.00' });
  }
});
