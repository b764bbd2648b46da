import { randomUUID } from 'node:crypto';
import { CASH_DESK, cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiCash, cashOf, everything, holder, moneyState, statementOf, topUp, verify, deskKeys, type DeskKeys } from './support/money';
import { cardUid, expectError, ledgerBalance } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 充值 at the desk: cash into a resident's wallet, idempotent, up to the cap, only on an active card. */
let t: TestApp;
let keys: DeskKeys;

beforeAll(async () => {
  t = await startTestApp();
  keys = await deskKeys(t);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/top-ups', () => {
  test('201 in the contract shape; the desk pays the wallet in the ledger; the statement and balance show it', async () => {
    const h = await holder(t);
    const desk = await ledgerBalance(t, CASH_DESK);
    const res = await topUp(t.http, { cardId: h.card.id, amount: '100.50', method: 'cash' }, { key: keys.operator });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID), cardId: h.card.id, amount: '100.50', method: 'cash', balance: { cash: '100.50' }, createdAt: expect.stringMatching(ISO) });
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    const row = await t.knex('top_ups').where({ id: res.body.id }).first('card_id', 'resident_id', 'amount', 'method', 'api_key_id', 'transaction_id');
    expect(row).toEqual({ card_id: h.card.id, resident_id: h.residentId, amount: '100.50', method: 'cash', api_key_id: keys.operatorId, transaction_id: expect.any(String) });
    const entries = await t.knex('ledger_entries').where({ transaction_id: row.transaction_id }).orderBy('account_id').select('account_id', 'amount');
    expect(entries).toEqual([
      { account_id: cashWalletId(h.residentId), amount: '100.50' },
      { account_id: CASH_DESK, amount: '-100.50' },
    ]);
    expect(await ledgerBalance(t, CASH_DESK)).toBe((Number(desk) - 100.5).toFixed(2));
    expect(await cashOf(t, h.residentId)).toBe('100.50');
    expect(await apiCash(t.http, h.card.id)).toBe('100.50');
    expect(await statementOf(t.http, h.card.id)).toEqual([expect.objectContaining({ id: row.transaction_id, kind: 'top_up', amount: '100.50', wallet: 'cash' })]);
  });

  test.each([['cash'], ['bank_card'], ['mobile']])('method %s is accepted and stored; balances add up', async (method) => {
    const h = await holder(t, '10.00');
    const res = await topUp(t.http, { cardId: h.card.id, amount: '0.01', method });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ method, amount: '0.01', balance: { cash: '10.01' } });
    expect((await t.knex('top_ups').where({ id: res.body.id }).first('method')).method).toBe(method);
  });

  test('amounts are printed with two decimals: "5" → "5.00", "0.5" → "0.50"', async () => {
    const h = await holder(t);
    expect((await topUp(t.http, { cardId: h.card.id, amount: '5', method: 'cash' })).body).toMatchObject({ amount: '5.00', balance: { cash: '5.00' } });
    expect((await topUp(t.http, { cardId: h.card.id, amount: '0.5', method: 'mobile' })).body).toMatchObject({ amount: '0.50', balance: { cash: '5.50' } });
  });

  test.each([['merchant'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing moves', async (role) => {
    const h = await holder(t, '1.00');
    const before = await everything(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' }, { key: keys[role] }), 403, 'forbidden');
    expect(await everything(t)).toEqual(before);
  });

  test('no key: 401, nothing moves', async () => {
    const h = await holder(t);
    const before = await everything(t);
    const res = await t.http.post('/v1/top-ups').set('Idempotency-Key', randomUUID()).send({ cardId: h.card.id, amount: '10.00', method: 'cash' });
    expectError(res, 401, 'unauthorized');
    expect(await everything(t)).toEqual(before);
  });

  test('unknown card: 404 card_not_found, nothing moves', async () => {
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: randomUUID(), amount: '10.00', method: 'cash' }), 404, 'card_not_found');
    expect(await moneyState(t)).toEqual(before);
  });
});

describe('the cash balance cap (default 5000.00)', () => {
  test('up to exactly 5000.00 is fine; one fen more is 409 balance_limit_exceeded and moves nothing', async () => {
    const h = await holder(t, '4999.00');
    expect((await topUp(t.http, { cardId: h.card.id, amount: '1.00', method: 'cash' })).body.balance).toEqual({ cash: '5000.00' });
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '0.01', method: 'cash' }), 409, 'balance_limit_exceeded');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('5000.00');
  });

  test('a single top-up above the cap on an empty wallet: 409, nothing moves', async () => {
    const h = await holder(t);
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '5000.01', method: 'bank_card' }), 409, 'balance_limit_exceeded');
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '9999999999.99', method: 'bank_card' }), 409, 'balance_limit_exceeded');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('0.00');
  });

  test('CASH_BALANCE_CAP sets the cap', async () => {
    const small = await startTestApp({ config: { cashBalanceCap: '100.00' } });
    try {
      const h = await holder(small, '60.00');
      expectError(await topUp(small.http, { cardId: h.card.id, amount: '40.01', method: 'cash' }), 409, 'balance_limit_exceeded');
      expect((await topUp(small.http, { cardId: h.card.id, amount: '40.00', method: 'cash' })).body.balance).toEqual({ cash: '100.00' });
      expect(await cashOf(small, h.residentId)).toBe('100.00');
    } finally {
      await small.close();
    }
  });
});

describe('cards that are not active', () => {
  const post = (path: string, body: object = {}) => t.http.post(path).set(bearer(TEST_ADMIN_KEY)).send(body);

  test('locked: 409 card_not_active and nothing moves; unlocked again: 201', async () => {
    const h = await holder(t, '20.00');
    expect((await post(`/v1/cards/${h.card.id}/lock`, { reason: 'suspended' })).status).toBe(200);
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' }), 409, 'card_not_active');
    expect(await moneyState(t)).toEqual(before);
    expect((await post(`/v1/cards/${h.card.id}/unlock`)).status).toBe(200);
    expect((await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' })).body.balance).toEqual({ cash: '30.00' });
  });

  test('replaced: 409 on the old card; the new card tops up the same wallet', async () => {
    const h = await holder(t, '20.00');
    const next = await post(`/v1/cards/${h.card.id}/replace`, { uid: cardUid(), reason: 'damaged' });
    expect(next.status).toBe(201);
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' }), 409, 'card_not_active');
    expect(await moneyState(t)).toEqual(before);
    expect((await topUp(t.http, { cardId: next.body.id, amount: '10.00', method: 'cash' })).body.balance).toEqual({ cash: '30.00' });
  });

  test('closed: 409 card_not_active, nothing lands in the closed wallet', async () => {
    const h = await holder(t, '20.00');
    const closed = await t.http.post(`/v1/cards/${h.card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({});
    expect(closed.body.refunded).toBe('20.00');
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' }), 409, 'card_not_active');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('0.00');
  });
});

describe('bad input: 400 validation_failed naming the field; nothing moves and nothing is stored', () => {
  const amounts: [string, unknown][] = [
    ['a JSON number', 10],
    ['a JSON number with decimals', 10.5],
    ['negative', '-10.00'],
    ['zero', '0'],
    ['zero with decimals', '0.00'],
    ['three decimals', '10.001'],
    ['eleven digits', '12345678901'],
    ['exponent notation', '1e3'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['a leading zero', '010.00'],
    ['a trailing dot', '10.'],
    ['spaces', ' 10.00'],
    ['a comma', '10,00'],
    ['a currency sign', '¥10.00'],
    ['empty', ''],
    ['null', null],
    ['an object', { value: '10.00' }],
  ];
  test.each(amounts)('amount %s', async (_, amount) => {
    const h = await holder(t, '1.00');
    const before = await everything(t);
    const res = await topUp(t.http, { cardId: h.card.id, amount, method: 'cash' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('amount');
    expect(await everything(t)).toEqual(before);
  });

  const others: [string, (cardId: string) => Record<string, unknown>, string][] = [
    ['no amount', (cardId) => ({ cardId, method: 'cash' }), 'amount'],
    ['no method', (cardId) => ({ cardId, amount: '10.00' }), 'method'],
    ['an unknown method', (cardId) => ({ cardId, amount: '10.00', method: 'alipay' }), 'method'],
    ['a method in upper case', (cardId) => ({ cardId, amount: '10.00', method: 'CASH' }), 'method'],
    ['no cardId', () => ({ amount: '10.00', method: 'cash' }), 'cardId'],
    ['a cardId that is not a uuid', () => ({ cardId: 'card-1', amount: '10.00', method: 'cash' }), 'cardId'],
    ['a UID instead of a cardId', () => ({ cardId: cardUid(), amount: '10.00', method: 'cash' }), 'cardId'],
    ['an unknown field', (cardId) => ({ cardId, amount: '10.00', method: 'cash', residentId: randomUUID() }), 'residentId'],
  ];
  test.each(others)('%s', async (_, body, field) => {
    const h = await holder(t, '1.00');
    const before = await everything(t);
    const res = await topUp(t.http, body(h.card.id));
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await everything(t)).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  test.each([
    ['missing', null],
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
  ])('%s: 400 idempotency_key_required, nothing moves', async (_, idem) => {
    const h = await holder(t, '1.00');
    const before = await everything(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' }, { idem }), 400, 'idempotency_key_required');
    expect(await everything(t)).toEqual(before);
  });

  test('255 printable characters are a valid key', async () => {
    const h = await holder(t);
    expect((await topUp(t.http, { cardId: h.card.id, amount: '1.00', method: 'cash' }, { idem: '~'.repeat(255) })).status).toBe(201);
  });

  test('the same key and body again: the first answer replayed, money moves once', async () => {
    const h = await holder(t);
    const idem = randomUUID();
    const body = { cardId: h.card.id, amount: '25.00', method: 'mobile' };
    const first = await topUp(t.http, body, { idem });
    const before = await moneyState(t);
    const again = await topUp(t.http, { method: 'mobile', amount: '25.00', cardId: h.card.id }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('25.00');
  });

  test('the same key with another body: 422 idempotency_key_reused, nothing moves', async () => {
    const h = await holder(t);
    const idem = randomUUID();
    await topUp(t.http, { cardId: h.card.id, amount: '25.00', method: 'cash' }, { idem });
    const before = await moneyState(t);
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '26.00', method: 'cash' }, { idem }), 422, 'idempotency_key_reused');
    expectError(await topUp(t.http, { cardId: h.card.id, amount: '25.00', method: 'bank_card' }, { idem }), 422, 'idempotency_key_reused');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('25.00');
  });

  test('the same key from another API key is a request of its own', async () => {
    const h = await holder(t);
    const idem = randomUUID();
    const body = { cardId: h.card.id, amount: '5.00', method: 'cash' };
    expect((await topUp(t.http, body, { idem })).status).toBe(201);
    const other = await topUp(t.http, body, { idem, key: keys.operator });
    expect(other.status).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await cashOf(t, h.residentId)).toBe('10.00');
  });

  test('a refusal is replayed too, even after the reason for it has gone', async () => {
    const h = await holder(t, '20.00');
    await t.http.post(`/v1/cards/${h.card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' });
    const idem = randomUUID();
    const body = { cardId: h.card.id, amount: '10.00', method: 'cash' };
    const first = await topUp(t.http, body, { idem });
    expectError(first, 409, 'card_not_active');
    await t.http.post(`/v1/cards/${h.card.id}/unlock`).set(bearer(TEST_ADMIN_KEY)).send();
    const before = await moneyState(t);
    const again = await topUp(t.http, body, { idem });
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('20.00');
  });
});

test('after all of the above the ledger verifies', async () => {
  const report = await verify(t.http);
  expect(report).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
