import { randomUUID } from 'node:crypto';
import { projectAccountId } from '../src/donations/charity-accounts';
import { cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { charityProject, donate, read, records, state } from './support/bills';
import { cashOf, holder, shanghaiDay, statementOf, topUp, verify, deskKeys, type DeskKeys } from './support/money';
import { cardUid, expectError, issueCard, ledgerBalance, registerResident } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 行善: charity projects, donations from a card's cash with numbered receipts, and the printed receipt. */
let t: TestApp;
let keys: DeskKeys;

beforeAll(async () => {
  t = await startTestApp();
  keys = await deskKeys(t);
});
afterAll(async () => {
  await t?.close();
});

const year = () => shanghaiDay().slice(0, 4);
const receiptOf = (n: number) => `CH-${year()}-${String(n).padStart(6, '0')}`;

describe('charity projects', () => {
  test('POST: 201 {id, name, goal, raised, donations, createdAt}; its ledger account is opened', async () => {
    const res = await t.http.post('/v1/charity-projects').set(bearer(TEST_ADMIN_KEY)).send({ name: '金杨社区助老餐桌', goal: '50000' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID), name: '金杨社区助老餐桌', goal: '50000.00', raised: '0.00', donations: 0, createdAt: expect.stringMatching(ISO) });
    const account = await t.knex('ledger_accounts').where({ id: projectAccountId(res.body.id) }).first('owner_type', 'owner_id', 'kind', 'may_go_negative');
    expect(account).toEqual({ owner_type: 'charity_project', owner_id: res.body.id, kind: 'charity_project', may_go_negative: true });
    expect(await read(t.http, `/v1/charity-projects/${res.body.id}`)).toEqual(res.body);
  });

  test('the goal is optional: null without one', async () => {
    expect((await charityProject(t)).goal).toBeNull();
  });

  test('operators and auditors may read a project and the list; only the admin may create one', async () => {
    const p = await charityProject(t);
    for (const key of [keys.operator, keys.auditor]) {
      expect((await t.http.get(`/v1/charity-projects/${p.id}`).set(bearer(key))).status).toBe(200);
      expect((await t.http.get('/v1/charity-projects').set(bearer(key))).status).toBe(200);
    }
    for (const role of ['operator', 'auditor', 'merchant', 'door'] as const) {
      expectError(await t.http.post('/v1/charity-projects').set(bearer(keys[role])).send({ name: 'x' }), 403, 'forbidden');
    }
    for (const role of ['merchant', 'door'] as const) expectError(await t.http.get(`/v1/charity-projects/${p.id}`).set(bearer(keys[role])), 403, 'forbidden');
  });

  test('the list: newest first, paged', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await charityProject(t)).id);
    const first = await read(t.http, '/v1/charity-projects?limit=2');
    expect(first.items.map((p: { id: string }) => p.id)).toEqual([made[2], made[1]]);
    const second = await read(t.http, `/v1/charity-projects?limit=2&cursor=${first.nextCursor}`);
    expect(second.items[0].id).toBe(made[0]);
  });

  test('unknown: 404 project_not_found; not a uuid: 400', async () => {
    expectError(await t.http.get(`/v1/charity-projects/${randomUUID()}`).set(bearer(TEST_ADMIN_KEY)), 404, 'project_not_found');
    expectError(await t.http.get('/v1/charity-projects/nope').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no name', { goal: '10.00' }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name with a control character', { name: 'a\tb' }, 'name'],
    ['a name of 101 characters', { name: '爱'.repeat(101) }, 'name'],
    ['a name as a number', { name: 42 }, 'name'],
    ['a goal as a JSON number', { name: 'x', goal: 100 }, 'goal'],
    ['a negative goal', { name: 'x', goal: '-1.00' }, 'goal'],
    ['a zero goal', { name: 'x', goal: '0' }, 'goal'],
    ['a goal with three decimals', { name: 'x', goal: '1.001' }, 'goal'],
    ['a null goal', { name: 'x', goal: null }, 'goal'],
    ['an unknown field', { name: 'x', raised: '100.00' }, 'raised'],
  ];
  test.each(bad)('%s: 400 validation_failed, nothing stored', async (_, body, field) => {
    const before = await state(t);
    const res = await t.http.post('/v1/charity-projects').set(bearer(TEST_ADMIN_KEY)).send(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await state(t)).toEqual(before);
  });
});

describe('POST /v1/donations', () => {
  test('201 {id, receiptNo, amount, projectId, createdAt, ...}: cash to the project in the ledger; the project counts it', async () => {
    const h = await holder(t, '500.00');
    const p = await charityProject(t, { goal: '1000.00' });
    const res = await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '100' }, { key: keys.operator });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      receiptNo: receiptOf(1),
      amount: '100.00',
      projectId: p.id,
      cardId: h.card.id,
      residentId: h.residentId,
      transactionId: expect.stringMatching(UUID),
      balance: { cash: '400.00' },
      createdAt: expect.stringMatching(ISO),
    });
    const entries = await t.knex('ledger_entries').where({ transaction_id: res.body.transactionId }).orderBy('account_id').select('account_id', 'amount');
    expect(entries).toEqual([
      { account_id: cashWalletId(h.residentId), amount: '-100.00' },
      { account_id: projectAccountId(p.id), amount: '100.00' },
    ]);
    expect(await ledgerBalance(t, projectAccountId(p.id))).toBe('100.00');
    expect(await cashOf(t, h.residentId)).toBe('400.00');
    expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ goal: '1000.00', raised: '100.00', donations: 1 });
    const { balance: _, ...view } = res.body;
    expect(await read(t.http, `/v1/donations/${res.body.id}`)).toEqual(view);
    expect((await statementOf(t.http, h.card.id))[0]).toMatchObject({ id: res.body.transactionId, kind: 'donation', amount: '-100.00', wallet: 'cash' });
    const row = await t.knex('donations').where({ id: res.body.id }).first('api_key_id', 'receipt_seq');
    expect(row).toEqual({ api_key_id: keys.operatorId, receipt_seq: 1 });
  });

  test('receipt numbers run 1, 2, 3 within a project, and each project has its own sequence', async () => {
    const a = await holder(t, '100.00');
    const b = await holder(t, '100.00');
    const p = await charityProject(t);
    const q = await charityProject(t);
    const numbers = [];
    for (const [h, project] of [[a, p], [b, p], [a, q], [b, p], [b, q]] as const) {
      numbers.push((await donate(t.http, { cardId: h.card.id, projectId: project.id, amount: '1.00' })).body.receiptNo);
    }
    expect(numbers).toEqual([receiptOf(1), receiptOf(2), receiptOf(1), receiptOf(3), receiptOf(2)]);
    expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ raised: '3.00', donations: 3 });
    expect(await read(t.http, `/v1/charity-projects/${q.id}`)).toMatchObject({ raised: '2.00', donations: 2 });
  });

  test('numbering starts again at 000001 each Shanghai year; last year\'s counter is left as it was', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const lastYear = Number(year()) - 1;
    await t.knex('donation_receipt_counters').insert({ project_id: p.id, year: lastYear, last_no: 57 });
    expect((await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' })).body.receiptNo).toBe(receiptOf(1));
    expect(await t.knex('donation_receipt_counters').where({ project_id: p.id }).orderBy('year').select('year', 'last_no')).toEqual([
      { year: lastYear, last_no: 57 },
      { year: Number(year()), last_no: 1 },
    ]);
  });

  test('donations beyond the goal are still accepted', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t, { goal: '10.00' });
    expect((await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '25.00' })).status).toBe(201);
    expect(await read(t.http, `/v1/charity-projects/${p.id}`)).toMatchObject({ goal: '10.00', raised: '25.00' });
  });

  test('an unknown project: 404 project_not_found, nothing moves, no receipt number is used', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const before = await records(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: randomUUID(), amount: '10.00' }), 404, 'project_not_found');
    expect(await records(t)).toEqual(before);
    expect((await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '10.00' })).body.receiptNo).toBe(receiptOf(1));
  });

  test('short of cash: 402 insufficient_funds, nothing moves, no receipt number is used', async () => {
    const h = await holder(t, '9.99');
    const p = await charityProject(t);
    expect((await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' })).body.receiptNo).toBe(receiptOf(1));
    const before = await records(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '9.00' }), 402, 'insufficient_funds');
    expect(await records(t)).toEqual(before);
    const next = await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '8.99' });
    expect(next.body).toMatchObject({ receiptNo: receiptOf(2), balance: { cash: '0.00' } });
  });

  test('a card that is not active: 409 card_not_active; an unknown card: 404 card_not_found; nothing moves', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    await t.http.post(`/v1/cards/${h.card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'suspended' });
    const before = await records(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' }), 409, 'card_not_active');
    expectError(await donate(t.http, { cardId: randomUUID(), projectId: p.id, amount: '1.00' }), 404, 'card_not_found');
    expect(await records(t)).toEqual(before);
  });

  test.each([['merchant'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing moves', async (role) => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const before = await state(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' }, { key: keys[role] }), 403, 'forbidden');
    expect(await state(t)).toEqual(before);
  });

  const amounts: [string, unknown][] = [
    ['a JSON number', 10],
    ['negative', '-10.00'],
    ['zero', '0.00'],
    ['three decimals', '10.001'],
    ['eleven digits', '12345678901'],
    ['exponent notation', '1e3'],
    ['a currency sign', '¥10.00'],
    ['null', null],
  ];
  test.each(amounts)('amount %s: 400 validation_failed, nothing moves or is stored', async (_, amount) => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const before = await state(t);
    const res = await donate(t.http, { cardId: h.card.id, projectId: p.id, amount });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('amount');
    expect(await state(t)).toEqual(before);
  });

  const others: [string, (cardId: string, projectId: string) => Record<string, unknown>, string][] = [
    ['no projectId', (cardId) => ({ cardId, amount: '1.00' }), 'projectId'],
    ['a projectId that is not a uuid', (cardId) => ({ cardId, projectId: 'p-1', amount: '1.00' }), 'projectId'],
    ['no cardId', (_, projectId) => ({ projectId, amount: '1.00' }), 'cardId'],
    ['a UID instead of a cardId', (_, projectId) => ({ cardId: cardUid(), projectId, amount: '1.00' }), 'cardId'],
    ['an unknown field', (cardId, projectId) => ({ cardId, projectId, amount: '1.00', anonymous: true }), 'anonymous'],
  ];
  test.each(others)('%s: 400 validation_failed, nothing moves or is stored', async (_, body, field) => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const before = await state(t);
    const res = await donate(t.http, body(h.card.id, p.id));
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await state(t)).toEqual(before);
  });
});

describe('Idempotency-Key on donations', () => {
  test('missing: 400 idempotency_key_required, nothing moves', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const before = await state(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' }, { idem: null }), 400, 'idempotency_key_required');
    expect(await state(t)).toEqual(before);
  });

  test('the same key and body again: the same donation and receipt number replayed, money moves once', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const idem = randomUUID();
    const body = { cardId: h.card.id, projectId: p.id, amount: '20.00' };
    const first = await donate(t.http, body, { idem });
    const before = await state(t);
    const again = await donate(t.http, { amount: '20.00', projectId: p.id, cardId: h.card.id }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await state(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('80.00');
    expect((await donate(t.http, body)).body.receiptNo).toBe(receiptOf(2));
  });

  test('the same key with another amount or project: 422 idempotency_key_reused, nothing moves', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    const q = await charityProject(t);
    const idem = randomUUID();
    await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '20.00' }, { idem });
    const before = await state(t);
    expectError(await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '21.00' }, { idem }), 422, 'idempotency_key_reused');
    expectError(await donate(t.http, { cardId: h.card.id, projectId: q.id, amount: '20.00' }, { idem }), 422, 'idempotency_key_reused');
    expect(await state(t)).toEqual(before);
  });

  test('a refusal is replayed too, even after a top-up', async () => {
    const h = await holder(t, '1.00');
    const p = await charityProject(t);
    const idem = randomUUID();
    const first = await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '5.00' }, { idem });
    expectError(first, 402, 'insufficient_funds');
    await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' });
    const again = await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '5.00' }, { idem });
    expect(again.status).toBe(402);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await cashOf(t, h.residentId)).toBe('11.00');
  });
});

describe('GET /v1/residents/:id/donations', () => {
  test("a resident's donations, newest first, paged; another resident's are not there", async () => {
    const h = await holder(t, '100.00');
    const other = await holder(t, '100.00');
    const p = await charityProject(t);
    const ids = [];
    for (const amount of ['1.00', '2.00', '3.00']) ids.push((await donate(t.http, { cardId: h.card.id, projectId: p.id, amount })).body.id);
    await donate(t.http, { cardId: other.card.id, projectId: p.id, amount: '4.00' });
    const all = await read(t.http, `/v1/residents/${h.residentId}/donations`);
    expect(all.items.map((d: { id: string; amount: string }) => [d.id, d.amount])).toEqual([
      [ids[2], '3.00'],
      [ids[1], '2.00'],
      [ids[0], '1.00'],
    ]);
    expect(all.nextCursor).toBeNull();
    const page = await read(t.http, `/v1/residents/${h.residentId}/donations?limit=2`);
    expect(page.items).toHaveLength(2);
    const rest = await read(t.http, `/v1/residents/${h.residentId}/donations?limit=2&cursor=${page.nextCursor}`);
    expect(rest).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
  });

  test('donations made with an earlier card stay in the history after a replacement', async () => {
    const h = await holder(t, '100.00');
    const p = await charityProject(t);
    await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' });
    const next = await t.http.post(`/v1/cards/${h.card.id}/replace`).set(bearer(TEST_ADMIN_KEY)).send({ uid: cardUid(), reason: 'damaged' });
    await donate(t.http, { cardId: next.body.id, projectId: p.id, amount: '2.00' });
    const history = await read(t.http, `/v1/residents/${h.residentId}/donations`);
    expect(history.items.map((d: { cardId: string }) => d.cardId)).toEqual([next.body.id, h.card.id]);
  });

  test('unknown resident: 404; not a uuid: 400; merchant, auditor and door keys: 403', async () => {
    expectError(await t.http.get(`/v1/residents/${randomUUID()}/donations`).set(bearer(TEST_ADMIN_KEY)), 404, 'resident_not_found');
    expectError(await t.http.get('/v1/residents/nope/donations').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
    const r = await registerResident(t);
    expect(await read(t.http, `/v1/residents/${r.id}/donations`)).toEqual({ items: [], nextCursor: null });
    expect((await t.http.get(`/v1/residents/${r.id}/donations`).set(bearer(keys.operator))).status).toBe(200);
    for (const role of ['merchant', 'auditor', 'door'] as const) expectError(await t.http.get(`/v1/residents/${r.id}/donations`).set(bearer(keys[role])), 403, 'forbidden');
  });
});

describe('GET /v1/donations/:id/receipt', () => {
  async function donationBy(name: string, amount: string, projectName = '金杨社区助老餐桌') {
    const r = await registerResident(t, { name });
    const card = await issueCard(t, r.id);
    await topUp(t.http, { cardId: card.id, amount: '5000.00', method: 'cash' });
    const p = await charityProject(t, { name: projectName });
    const res = await donate(t.http, { cardId: card.id, projectId: p.id, amount });
    expect(res.status).toBe(201);
    return { donation: res.body, project: p };
  }

  test('the receipt: masked donor, project, amount in figures and in capitals, Shanghai date, receipt number, ledger transaction', async () => {
    const { donation, project } = await donationBy('张秀英', '1234.56');
    const res = await t.http.get(`/v1/donations/${donation.id}/receipt`).set(bearer(keys.operator));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      receiptNo: donation.receiptNo,
      donationId: donation.id,
      projectId: project.id,
      projectName: '金杨社区助老餐桌',
      donorName: '张*英',
      amount: '1234.56',
      amountInWords: '壹仟贰佰叁拾肆元伍角陆分',
      currency: 'CNY',
      date: shanghaiDay(donation.createdAt),
      transactionId: donation.transactionId,
      createdAt: donation.createdAt,
    });
    expect(await t.knex('ledger_transactions').where({ id: res.body.transactionId }).first('kind')).toEqual({ kind: 'donation' });
  });

  test.each([
    ['张三', '100.00', '张*', '壹佰元整'],
    ['欧阳娜娜', '1005.07', '欧**娜', '壹仟零伍元零柒分'],
    ['李四', '0.50', '李*', '伍角'],
    ['王小明', '3000', '王*明', '叁仟元整'],
  ])('%s giving %s: %s, %s', async (name, amount, masked, words) => {
    const { donation } = await donationBy(name, amount);
    const receipt = await read(t.http, `/v1/donations/${donation.id}/receipt`);
    expect(receipt).toMatchObject({ donorName: masked, amountInWords: words });
    expect(JSON.stringify(receipt)).not.toContain(name);
  });

  test('unknown donation: 404 donation_not_found; not a uuid: 400; merchant, auditor and door keys: 403', async () => {
    const { donation } = await donationBy('赵六', '1.00');
    expectError(await t.http.get(`/v1/donations/${randomUUID()}/receipt`).set(bearer(TEST_ADMIN_KEY)), 404, 'donation_not_found');
    expectError(await t.http.get(`/v1/donations/${randomUUID()}`).set(bearer(TEST_ADMIN_KEY)), 404, 'donation_not_found');
    expectError(await t.http.get('/v1/donations/nope/receipt').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
    for (const role of ['merchant', 'auditor', 'door'] as const) expectError(await t.http.get(`/v1/donations/${donation.id}/receipt`).set(bearer(keys[role])), 403, 'forbidden');
  });
});

describe('the donations table itself', () => {
  test('donations cannot be changed or deleted', async () => {
    const h = await holder(t, '10.00');
    const p = await charityProject(t);
    const d = (await donate(t.http, { cardId: h.card.id, projectId: p.id, amount: '1.00' })).body;
    await expect(t.knex('donations').where({ id: d.id }).update({ amount: '100.00' })).rejects.toThrow(/append-only/);
    await expect(t.knex('donations').where({ id: d.id }).del()).rejects.toThrow(/append-only/);
  });
});

test('after all of the above the ledger verifies', async () => {
  expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
