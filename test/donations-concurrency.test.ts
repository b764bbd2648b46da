import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { projectAccountId } from '../src/donations/charity-accounts';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { charityProject, donate, read } from './support/bills';
import { apiKey } from './support/factories';
import { cashOf, holder, shanghaiDay, verify, type Holder } from './support/money';
import { ledgerBalance, listening } from './support/residents';

/**
 * Many desks giving to one project at the same moment, on a real port: receipt numbers
 * stay one sequence per project and year, with no gap and no number twice, whatever
 * commits first and whatever is refused along the way.
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
const receipts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `CH-${shanghaiDay().slice(0, 4)}-${String(from + i).padStart(6, '0')}`);
const numbersOf = (results: Res[]) => results.filter((r) => r.status === 201).map((r) => r.body.receiptNo as string).sort();

test('20 donations to one project at once, from 20 donors: receipt numbers 000001 to 000020, each once', async () => {
  const p = await charityProject(t);
  const donors = await Promise.all(Array.from({ length: 20 }, () => holder(t, '100.00')));
  const results = await Promise.all(donors.map((h, i) => donate(http, { cardId: h.card.id, projectId: p.id, amount: `${i + 1}.00` }, { key: desks[i % desks.length] })));
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
  expect(numbersOf(results)).toEqual(receipts(1, 20));
  expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ raised: '210.00', donations: 20 });
  expect(await ledgerBalance(t, projectAccountId(p.id))).toBe('210.00');
  // The stored donations agree with the answers.
  const stored = await t.knex('donations').where({ project_id: p.id }).orderBy('receipt_seq').pluck('receipt_seq');
  expect(stored).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
});

test('20 donations from one donor at once: the wallet lock and the counter together still give 1..20', async () => {
  const h = await holder(t, '2000.00');
  const p = await charityProject(t);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => donate(http, { cardId: h.card.id, projectId: p.id, amount: '10.00' }, { key: desks[i % desks.length] })));
  expect(numbersOf(results)).toEqual(receipts(1, 20));
  expect(await cashOf(t, h.residentId)).toBe('1800.00');
});

test('refusals mixed in (short of cash, locked cards, unknown projects) take no number: the successes are still 1..N', async () => {
  const p = await charityProject(t);
  const rich: Holder[] = await Promise.all(Array.from({ length: 10 }, () => holder(t, '50.00')));
  const poor: Holder[] = await Promise.all(Array.from({ length: 6 }, () => holder(t, '1.00')));
  const locked = await holder(t, '50.00');
  await t.http.post(`/v1/cards/${locked.card.id}/lock`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` }).send({ reason: 'lost' });
  const requests = [
    ...rich.map((h) => () => donate(http, { cardId: h.card.id, projectId: p.id, amount: '20.00' })),
    ...poor.map((h) => () => donate(http, { cardId: h.card.id, projectId: p.id, amount: '20.00' })),
    () => donate(http, { cardId: locked.card.id, projectId: p.id, amount: '20.00' }),
    ...rich.slice(0, 3).map((h) => () => donate(http, { cardId: h.card.id, projectId: randomUUID(), amount: '20.00' })),
  ];
  const order = requests.map((_, i) => i).sort((a, b) => ((a * 7919) % 23) - ((b * 7919) % 23));
  const results = await Promise.all(order.map((i) => requests[i]()));
  const codes = results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim()).sort();
  expect(codes).toEqual([...Array(10).fill('201'), ...Array(6).fill('402 insufficient_funds'), '404 project_not_found', '404 project_not_found', '404 project_not_found', '409 card_not_active'].sort());
  expect(numbersOf(results)).toEqual(receipts(1, 10));
  expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ raised: '200.00', donations: 10 });
});

test('two projects at once: each has its own gapless sequence', async () => {
  const [p, q] = [await charityProject(t), await charityProject(t)];
  const donors = await Promise.all(Array.from({ length: 8 }, () => holder(t, '100.00')));
  const results = await Promise.all(donors.flatMap((h) => [p, q].map((project) => donate(http, { cardId: h.card.id, projectId: project.id, amount: '5.00' }))));
  const byProject = (id: string) => results.filter((r) => r.body.projectId === id).map((r) => r.body.receiptNo as string).sort();
  expect(byProject(p.id)).toEqual(receipts(1, 8));
  expect(byProject(q.id)).toEqual(receipts(1, 8));
});

test('the same Idempotency-Key 5 times at once: one donation and one receipt number', async () => {
  const h = await holder(t, '100.00');
  const p = await charityProject(t);
  const idem = randomUUID();
  const results = await Promise.all(Array.from({ length: 5 }, () => donate(http, { cardId: h.card.id, projectId: p.id, amount: '30.00' }, { idem })));
  for (const r of results) expect(['201', '409 idempotency_key_in_progress']).toContain(`${r.status} ${r.body.code ?? ''}`.trim());
  const ok = results.filter((r) => r.status === 201);
  for (const r of ok) expect(r.body).toEqual(ok[0].body);
  expect(ok[0].body.receiptNo).toBe(receipts(1, 1)[0]);
  expect(await cashOf(t, h.residentId)).toBe('70.00');
  expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ raised: '30.00', donations: 1 });
});

test('after all of the above the ledger verifies, and every project raised what its donations add up to', async () => {
  expect(await verify(http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
  const projects = await t.knex('charity_projects').pluck('id');
  for (const id of projects) {
    const sum = (await t.knex('donations').where({ project_id: id }).pluck('amount')).reduce((s: Decimal, a: string) => s.plus(a), new Decimal(0));
    expect(await ledgerBalance(t, projectAccountId(id))).toBe(sum.toFixed(2));
  }
});
