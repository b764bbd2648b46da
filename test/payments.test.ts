import { randomUUID } from 'node:crypto';
import { cashWalletId, merchantAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { anotherTerminal, approvedPayment, cashOf, everything, holder, moneyState, owedTo, pay, statementOf, terminal, topUp, verify, type Terminal } from './support/money';
import { cardUid, expectError, issueCard, registerResident, separated } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 刷卡消费: a terminal charges a tapped card by its UID; approved (201) or declined (402, recorded). */
let t: TestApp;
let shop: Terminal;
let other: Terminal;
let keys: { operator: string; auditor: string; door: string };

beforeAll(async () => {
  t = await startTestApp();
  shop = await terminal(t, 'canteen');
  other = await terminal(t, 'grocery');
  keys = { operator: (await apiKey(t, 'operator')).key, auditor: (await apiKey(t, 'auditor')).key, door: (await apiKey(t, 'door')).key };
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const declined = (code: string) => ({ statusCode: 402, code, message: expect.any(String), paymentId: expect.stringMatching(UUID) });

describe('approved', () => {
  test('201 in the contract shape; the wallet pays the merchant in the ledger; statement and payment agree', async () => {
    const h = await holder(t, '50.00');
    const owed = await owedTo(t, shop.merchant.id);
    const res = await pay(t.http, shop.key, { uid: h.card.uid, amount: '12.50', description: '午餐' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      status: 'approved',
      amount: '12.50',
      cardId: h.card.id,
      merchantId: shop.merchant.id,
      description: '午餐',
      funding: [{ wallet: 'cash', amount: '12.50' }],
      balance: { cash: '37.50', subsidy: '0.00' },
      createdAt: expect.stringMatching(ISO),
    });
    expect(await cashOf(t, h.residentId)).toBe('37.50');
    expect(await owedTo(t, shop.merchant.id)).toBe((Number(owed) + 12.5).toFixed(2));

    const row = await t.knex('payments').where({ id: res.body.id }).first('status', 'amount', 'card_id', 'resident_id', 'merchant_id', 'api_key_id', 'uid', 'transaction_id', 'description');
    expect(row).toEqual({ status: 'approved', amount: '12.50', card_id: h.card.id, resident_id: h.residentId, merchant_id: shop.merchant.id, api_key_id: shop.keyId, uid: h.card.uid, transaction_id: expect.any(String), description: '午餐' });
    const entries = await t.knex('ledger_entries').where({ transaction_id: row.transaction_id }).orderBy('amount').select('account_id', 'amount');
    expect(entries).toEqual([
      { account_id: cashWalletId(h.residentId), amount: '-12.50' },
      { account_id: merchantAccountId(shop.merchant.id), amount: '12.50' },
    ]);
    const [line] = await statementOf(t.http, h.card.id);
    expect(line).toMatchObject({ id: row.transaction_id, kind: 'payment', amount: '-12.50', wallet: 'cash', merchantId: shop.merchant.id });

    const got = await t.http.get(`/v1/payments/${res.body.id}`).set(bearer(shop.key));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: res.body.id, status: 'approved', amount: '12.50', cardId: h.card.id, merchantId: shop.merchant.id, funding: [{ wallet: 'cash', amount: '12.50' }], refunded: '0.00', createdAt: res.body.createdAt });
  });

  test.each([
    ['lower case', (u: string) => u.toLowerCase()],
    ['colons', (u: string) => separated(u, ':')],
    ['hyphens, upper case', (u: string) => separated(u, '-', false)],
    ['spaces', (u: string) => separated(u, ' ')],
  ])('a UID written with %s charges the same card', async (_, spell) => {
    for (const bytes of [4, 7, 10] as const) {
      const r = await registerResident(t);
      const card = await issueCard(t, r.id, cardUid(bytes));
      await topUp(t.http, { cardId: card.id, amount: '5.00', method: 'cash' });
      const res = await pay(t.http, shop.key, { uid: spell(card.uid), amount: '1.00' });
      expect(res.status).toBe(201);
      expect(res.body.cardId).toBe(card.id);
      expect((await t.knex('payments').where({ id: res.body.id }).first('uid')).uid).toBe(card.uid);
    }
  });

  test('the whole balance can be spent, down to 0.00 and no further', async () => {
    const h = await holder(t, '7.30');
    expect((await pay(t.http, shop.key, { uid: h.card.uid, amount: '7.30' })).body.balance).toEqual({ cash: '0.00', subsidy: '0.00' });
    const before = await moneyState(t);
    const res = await pay(t.http, shop.key, { uid: h.card.uid, amount: '0.01' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 402, body: declined('insufficient_funds') });
    expect((await moneyState(t)).ledgerEntries).toBe(before.ledgerEntries);
    expect(await cashOf(t, h.residentId)).toBe('0.00');
  });

  test('a replacement card spends the same wallet', async () => {
    const h = await holder(t, '30.00');
    const next = await t.http.post(`/v1/cards/${h.card.id}/replace`).set(admin).send({ uid: cardUid(), reason: 'lost' });
    const res = await pay(t.http, shop.key, { uid: next.body.uid, amount: '10.00' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ cardId: next.body.id, balance: { cash: '20.00' } });
  });

  test("a UID freed by a closed card and issued again charges the new holder, not the old one", async () => {
    const old = await holder(t, '5.00');
    await t.http.post(`/v1/cards/${old.card.id}/close`).set(admin).set('Idempotency-Key', randomUUID()).send({});
    const r = await registerResident(t);
    const card = await issueCard(t, r.id, old.card.uid);
    await topUp(t.http, { cardId: card.id, amount: '9.00', method: 'cash' });
    const res = await pay(t.http, shop.key, { uid: old.card.uid, amount: '4.00' });
    expect(res.body).toMatchObject({ status: 'approved', cardId: card.id, balance: { cash: '5.00' } });
    expect(await cashOf(t, old.residentId)).toBe('0.00');
  });
});

describe('declined: 402, recorded, and nothing moves', () => {
  async function expectDecline(uid: string, amount: string, code: string, cardId: string | null) {
    const before = await moneyState(t);
    const res = await pay(t.http, shop.key, { uid, amount });
    expect({ status: res.status, body: res.body }).toEqual({ status: 402, body: declined(code) });
    const after = await moneyState(t);
    expect({ ...after, payments: undefined }).toEqual({ ...before, payments: undefined });
    expect(after.payments).toHaveLength(before.payments.length + 1);
    const row = await t.knex('payments').where({ id: res.body.paymentId }).first('status', 'decline_code', 'card_id', 'amount', 'transaction_id', 'merchant_id');
    expect(row).toEqual({ status: 'declined', decline_code: code, card_id: cardId, amount, transaction_id: null, merchant_id: shop.merchant.id });
    const got = await t.http.get(`/v1/payments/${res.body.paymentId}`).set(admin);
    expect(got.body).toMatchObject({ id: res.body.paymentId, status: 'declined', amount, merchantId: shop.merchant.id, funding: [], refunded: '0.00' });
    return res;
  }

  test('unknown_card: a UID no card has', async () => {
    await expectDecline(cardUid(), '3.00', 'unknown_card', null);
  });

  test('insufficient_funds: more than the wallet holds; the wallet is untouched', async () => {
    const h = await holder(t, '10.00');
    await expectDecline(h.card.uid, '10.01', 'insufficient_funds', h.card.id);
    await expectDecline(h.card.uid, '9999999999.99', 'insufficient_funds', h.card.id);
    expect(await cashOf(t, h.residentId)).toBe('10.00');
  });

  test('card_not_active: a locked card', async () => {
    const h = await holder(t, '10.00');
    await t.http.post(`/v1/cards/${h.card.id}/lock`).set(admin).send({ reason: 'stolen' });
    await expectDecline(h.card.uid, '1.00', 'card_not_active', h.card.id);
    expect(await cashOf(t, h.residentId)).toBe('10.00');
  });

  test('card_not_active: the old card of a replacement', async () => {
    const h = await holder(t, '10.00');
    await t.http.post(`/v1/cards/${h.card.id}/replace`).set(admin).send({ uid: cardUid(), reason: 'damaged' });
    await expectDecline(h.card.uid, '1.00', 'card_not_active', h.card.id);
    expect(await cashOf(t, h.residentId)).toBe('10.00');
  });

  test('card_not_active: a closed card', async () => {
    const h = await holder(t, '10.00');
    await t.http.post(`/v1/cards/${h.card.id}/close`).set(admin).set('Idempotency-Key', randomUUID()).send({});
    await expectDecline(h.card.uid, '1.00', 'card_not_active', h.card.id);
  });

  test('a decline is replayed on retry, with the same paymentId, even once the card could pay', async () => {
    const h = await holder(t, '1.00');
    const idem = randomUUID();
    const first = await pay(t.http, shop.key, { uid: h.card.uid, amount: '2.00' }, { idem });
    expect(first.status).toBe(402);
    await topUp(t.http, { cardId: h.card.id, amount: '10.00', method: 'cash' });
    const before = await moneyState(t);
    const again = await pay(t.http, shop.key, { uid: h.card.uid, amount: '2.00' }, { idem });
    expect(again.status).toBe(402);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('11.00');
  });
});

describe('idempotency', () => {
  test('an approved payment sent again: the same 201 replayed, charged once', async () => {
    const h = await holder(t, '20.00');
    const idem = randomUUID();
    const first = await pay(t.http, shop.key, { uid: h.card.uid, amount: '6.00', description: 'noodles' }, { idem });
    const before = await moneyState(t);
    const again = await pay(t.http, shop.key, { description: 'noodles', amount: '6.00', uid: h.card.uid }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('14.00');
  });

  test('the same key with another amount, UID or description: 422 idempotency_key_reused, nothing moves', async () => {
    const h = await holder(t, '20.00');
    const idem = randomUUID();
    await pay(t.http, shop.key, { uid: h.card.uid, amount: '6.00' }, { idem });
    const before = await moneyState(t);
    expectError(await pay(t.http, shop.key, { uid: h.card.uid, amount: '6.01' }, { idem }), 422, 'idempotency_key_reused');
    expectError(await pay(t.http, shop.key, { uid: cardUid(), amount: '6.00' }, { idem }), 422, 'idempotency_key_reused');
    expectError(await pay(t.http, shop.key, { uid: h.card.uid, amount: '6.00', description: 'x' }, { idem }), 422, 'idempotency_key_reused');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('14.00');
  });

  test('the same key from another terminal of the same merchant is a payment of its own', async () => {
    const h = await holder(t, '20.00');
    const till2 = await anotherTerminal(t, shop);
    const idem = randomUUID();
    expect((await pay(t.http, shop.key, { uid: h.card.uid, amount: '5.00' }, { idem })).status).toBe(201);
    const second = await pay(t.http, till2.key, { uid: h.card.uid, amount: '5.00' }, { idem });
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(await cashOf(t, h.residentId)).toBe('10.00');
  });

  test.each([
    ['missing', null],
    ['empty', ''],
    ['256 characters', 'x'.repeat(256)],
  ])('Idempotency-Key %s: 400 idempotency_key_required, nothing moves or is recorded', async (_, idem) => {
    const h = await holder(t, '20.00');
    const before = await everything(t);
    expectError(await pay(t.http, shop.key, { uid: h.card.uid, amount: '5.00' }, { idem }), 400, 'idempotency_key_required');
    expect(await everything(t)).toEqual(before);
  });
});

describe('who may charge', () => {
  test.each([['admin'], ['operator'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing moves or is recorded', async (role) => {
    const h = await holder(t, '20.00');
    const before = await everything(t);
    const key = role === 'admin' ? TEST_ADMIN_KEY : keys[role];
    expectError(await pay(t.http, key, { uid: h.card.uid, amount: '5.00' }), 403, 'forbidden');
    expect(await everything(t)).toEqual(before);
  });

  test('a terminal charges for its own merchant only: merchantId in the body is an unknown field', async () => {
    const h = await holder(t, '20.00');
    const before = await everything(t);
    const res = await pay(t.http, shop.key, { uid: h.card.uid, amount: '5.00', merchantId: other.merchant.id });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('merchantId');
    expect(await everything(t)).toEqual(before);
  });
});

describe('bad input: 400 validation_failed naming the field; nothing moves and nothing is recorded', () => {
  const amounts: [string, unknown][] = [
    ['a JSON number', 5],
    ['a JSON number with decimals', 5.5],
    ['negative', '-5.00'],
    ['zero', '0'],
    ['zero with decimals', '0.00'],
    ['three decimals', '5.001'],
    ['eleven digits', '10000000000'],
    ['exponent notation', '1e3'],
    ['NaN', 'NaN'],
    ['hexadecimal', '0x10'],
    ['a plus sign', '+5.00'],
    ['empty', ''],
    ['null', null],
    ['true', true],
  ];
  test.each(amounts)('amount %s', async (_, amount) => {
    const h = await holder(t, '20.00');
    const before = await everything(t);
    const res = await pay(t.http, shop.key, { uid: h.card.uid, amount });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('amount');
    expect(await everything(t)).toEqual(before);
  });

  const uids: [string, unknown][] = [
    ['empty', ''],
    ['3 bytes', 'A1B2C3'],
    ['5 bytes', 'A1B2C3D4E5'],
    ['8 bytes', 'A1B2C3D4E5F6A7B8'],
    ['an odd number of hex digits', 'A1B2C3D'],
    ['not hex', 'G1B2C3D4'],
    ['a separator at the end', 'A1:B2:C3:D4:'],
    ['two separators in a row', 'A1::B2:C3:D4'],
    ['a dot as separator', 'A1.B2.C3.D4'],
    ['a number', 12345678],
    ['null', null],
    ['a card id instead of a UID', randomUUID()],
  ];
  test.each(uids)('uid %s', async (_, uid) => {
    const before = await everything(t);
    const res = await pay(t.http, shop.key, { uid, amount: '1.00' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('uid');
    expect(await everything(t)).toEqual(before);
  });

  const others: [string, Record<string, unknown>, string][] = [
    ['no uid', { amount: '1.00' }, 'uid'],
    ['no amount', { uid: cardUid() }, 'amount'],
    ['a cardId field', { uid: cardUid(), amount: '1.00', cardId: randomUUID() }, 'cardId'],
    ['a funding field', { uid: cardUid(), amount: '1.00', funding: [] }, 'funding'],
    ['a description over 200 characters', { uid: cardUid(), amount: '1.00', description: 'x'.repeat(201) }, 'description'],
    ['a blank description', { uid: cardUid(), amount: '1.00', description: '  ' }, 'description'],
    ['a description that is a number', { uid: cardUid(), amount: '1.00', description: 7 }, 'description'],
  ];
  test.each(others)('%s', async (_, body, field) => {
    const before = await everything(t);
    const res = await pay(t.http, shop.key, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await everything(t)).toEqual(before);
  });

  test('a description with a NUL character', async () => {
    const h = await holder(t, '20.00');
    const before = await everything(t);
    const res = await pay(t.http, shop.key, { uid: h.card.uid, amount: '1.00', description: 'lunch\u0000' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('description');
    expect(await everything(t)).toEqual(before);
  });
});

describe('GET /v1/payments/:id', () => {
  test('its merchant, the admin and the auditor read it; another terminal and the desk get 403', async () => {
    const h = await holder(t, '20.00');
    const p = await approvedPayment(t.http, shop.key, h.card.uid, '3.00');
    for (const key of [shop.key, TEST_ADMIN_KEY, keys.auditor]) {
      const res = await t.http.get(`/v1/payments/${p.id}`).set(bearer(key));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: p.id, status: 'approved', amount: '3.00', refunded: '0.00' });
    }
    expectError(await t.http.get(`/v1/payments/${p.id}`).set(bearer(other.key)), 403, 'forbidden');
    expectError(await t.http.get(`/v1/payments/${p.id}`).set(bearer(keys.operator)), 403, 'forbidden');
    expectError(await t.http.get(`/v1/payments/${p.id}`).set(bearer(keys.door)), 403, 'forbidden');
  });

  test("another merchant's decline is not readable either", async () => {
    const res = await pay(t.http, shop.key, { uid: cardUid(), amount: '1.00' });
    expectError(await t.http.get(`/v1/payments/${res.body.paymentId}`).set(bearer(other.key)), 403, 'forbidden');
  });

  test('unknown: 404 payment_not_found; not a uuid: 400', async () => {
    expectError(await t.http.get(`/v1/payments/${randomUUID()}`).set(admin), 404, 'payment_not_found');
    expectError(await t.http.get('/v1/payments/pay_1').set(admin), 400, 'validation_failed');
  });
});

test('after all of the above the ledger verifies and no wallet is negative', async () => {
  expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
  const negative = await t.knex('ledger_balances').where('account_id', 'like', 'cash:%').groupBy('account_id').havingRaw('sum(balance) < 0').select('account_id');
  expect(negative).toEqual([]);
});
