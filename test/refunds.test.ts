import { randomUUID } from 'node:crypto';
import { cashWalletId, merchantAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { anotherTerminal, approvedPayment, cashOf, everything, holder, moneyState, owedTo, pay, refund, statementOf, terminal, verify, type Terminal } from './support/money';
import { cardUid, expectError } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 退款: back to the wallets a payment drew from, partly or wholly, never more than it. */
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

/** A resident with `cash`, who has paid `amount` at the shop. */
async function paid(cash: string, amount: string) {
  const h = await holder(t, cash);
  return { ...h, payment: await approvedPayment(t.http, shop.key, h.card.uid, amount) };
}

const refundedOf = async (paymentId: string) => (await t.http.get(`/v1/payments/${paymentId}`).set(admin)).body.refunded;

describe('POST /v1/payments/:id/refunds', () => {
  test('no amount: all of it, 201 in the contract shape; cash goes back from the merchant in the ledger', async () => {
    const { residentId, card, payment } = await paid('50.00', '12.50');
    const owed = await owedTo(t, shop.merchant.id);
    const res = await refund(t.http, shop.key, payment.id);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID), paymentId: payment.id, amount: '12.50', funding: [{ wallet: 'cash', amount: '12.50' }], createdAt: expect.stringMatching(ISO) });
    expect(await cashOf(t, residentId)).toBe('50.00');
    expect(await owedTo(t, shop.merchant.id)).toBe((Number(owed) - 12.5).toFixed(2));
    expect(await refundedOf(payment.id)).toBe('12.50');

    const row = await t.knex('refunds').where({ id: res.body.id }).first('payment_id', 'amount', 'transaction_id', 'api_key_id');
    expect(row).toEqual({ payment_id: payment.id, amount: '12.50', transaction_id: expect.any(String), api_key_id: shop.keyId });
    const entries = await t.knex('ledger_entries').where({ transaction_id: row.transaction_id }).orderBy('amount').select('account_id', 'amount');
    expect(entries).toEqual([
      { account_id: merchantAccountId(shop.merchant.id), amount: '-12.50' },
      { account_id: cashWalletId(residentId), amount: '12.50' },
    ]);
    const [line] = await statementOf(t.http, card.id);
    expect(line).toMatchObject({ id: row.transaction_id, kind: 'refund', amount: '12.50', wallet: 'cash', merchantId: shop.merchant.id });
  });

  test('partial refunds add up; the default is what is left; then nothing is left: 409 refund_exceeds_payment', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    expect((await refund(t.http, shop.key, payment.id, { amount: '3.00' })).body).toMatchObject({ amount: '3.00', funding: [{ wallet: 'cash', amount: '3.00' }] });
    expect(await refundedOf(payment.id)).toBe('3.00');
    expect((await refund(t.http, shop.key, payment.id, { amount: '0.5' })).body.amount).toBe('0.50');
    expect((await refund(t.http, shop.key, payment.id)).body.amount).toBe('6.50');
    expect(await cashOf(t, residentId)).toBe('20.00');
    expect(await refundedOf(payment.id)).toBe('10.00');

    const before = await moneyState(t);
    expectError(await refund(t.http, shop.key, payment.id), 409, 'refund_exceeds_payment');
    expectError(await refund(t.http, shop.key, payment.id, { amount: '0.01' }), 409, 'refund_exceeds_payment');
    expect(await moneyState(t)).toEqual(before);
  });

  test('more than the payment, or more than is left: 409 refund_exceeds_payment and nothing moves; exactly what is left is fine', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    let before = await moneyState(t);
    expectError(await refund(t.http, shop.key, payment.id, { amount: '10.01' }), 409, 'refund_exceeds_payment');
    expect(await moneyState(t)).toEqual(before);
    await refund(t.http, shop.key, payment.id, { amount: '4.00' });
    before = await moneyState(t);
    expectError(await refund(t.http, shop.key, payment.id, { amount: '6.01' }), 409, 'refund_exceeds_payment');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, residentId)).toBe('14.00');
    expect((await refund(t.http, shop.key, payment.id, { amount: '6.00' })).status).toBe(201);
    expect(await cashOf(t, residentId)).toBe('20.00');
  });

  test('a declined payment: 409 payment_not_refundable, nothing moves', async () => {
    const h = await holder(t, '1.00');
    const declined = await pay(t.http, shop.key, { uid: h.card.uid, amount: '5.00' });
    expect(declined.status).toBe(402);
    const unknown = await pay(t.http, shop.key, { uid: cardUid(), amount: '5.00' });
    const before = await moneyState(t);
    expectError(await refund(t.http, shop.key, declined.body.paymentId), 409, 'payment_not_refundable');
    expectError(await refund(t.http, TEST_ADMIN_KEY, declined.body.paymentId, { amount: '1.00' }), 409, 'payment_not_refundable');
    expectError(await refund(t.http, shop.key, unknown.body.paymentId), 409, 'payment_not_refundable');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('1.00');
  });

  test('money goes back to the wallet even if the card has since been locked or replaced', async () => {
    const { residentId, card, payment } = await paid('10.00', '4.00');
    await t.http.post(`/v1/cards/${card.id}/lock`).set(admin).send({ reason: 'lost' });
    expect((await refund(t.http, shop.key, payment.id, { amount: '1.00' })).status).toBe(201);
    const next = await t.http.post(`/v1/cards/${card.id}/replace`).set(admin).send({ uid: cardUid(), reason: 'lost' });
    expect((await refund(t.http, shop.key, payment.id)).status).toBe(201);
    expect(await cashOf(t, residentId)).toBe('10.00');
    expect((await t.http.get(`/v1/cards/${next.body.id}/balance`).set(admin)).body.cash).toBe('10.00');
  });
});

describe('who may refund', () => {
  test("another merchant's terminal: 403 forbidden, nothing moves", async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    const before = await moneyState(t);
    expectError(await refund(t.http, other.key, payment.id), 403, 'forbidden');
    expectError(await refund(t.http, other.key, payment.id, { amount: '1.00' }), 403, 'forbidden');
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, residentId)).toBe('10.00');
    expect(await refundedOf(payment.id)).toBe('0.00');
  });

  test("another merchant's terminal cannot learn about a payment by refunding it: 403 whether it was approved or declined", async () => {
    const declined = await pay(t.http, shop.key, { uid: cardUid(), amount: '1.00' });
    expectError(await refund(t.http, other.key, declined.body.paymentId), 403, 'forbidden');
  });

  test('another terminal of the same merchant and the admin may refund', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    const till2 = await anotherTerminal(t, shop);
    expect((await refund(t.http, till2.key, payment.id, { amount: '4.00' })).status).toBe(201);
    const byAdmin = await refund(t.http, TEST_ADMIN_KEY, payment.id);
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.amount).toBe('6.00');
    expect(await cashOf(t, residentId)).toBe('20.00');
  });

  test.each([['operator'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing moves or is recorded', async (role) => {
    const { payment } = await paid('20.00', '10.00');
    const before = await everything(t);
    expectError(await refund(t.http, keys[role], payment.id), 403, 'forbidden');
    expect(await everything(t)).toEqual(before);
  });

  test('an unknown payment: 404 payment_not_found; a malformed id: 400; nothing moves', async () => {
    const before = await moneyState(t);
    expectError(await refund(t.http, TEST_ADMIN_KEY, randomUUID()), 404, 'payment_not_found');
    expectError(await refund(t.http, TEST_ADMIN_KEY, 'pay_1'), 400, 'validation_failed');
    expect(await moneyState(t)).toEqual(before);
  });
});

describe('bad input: 400 validation_failed, nothing moves or is recorded', () => {
  const bodies: [string, Record<string, unknown>, string][] = [
    ['amount as a JSON number', { amount: 5 }, 'amount'],
    ['a negative amount', { amount: '-1.00' }, 'amount'],
    ['a zero amount', { amount: '0.00' }, 'amount'],
    ['three decimals', { amount: '1.005' }, 'amount'],
    ['eleven digits', { amount: '10000000000' }, 'amount'],
    ['exponent notation', { amount: '1e3' }, 'amount'],
    ['NaN', { amount: 'NaN' }, 'amount'],
    ['an unknown field', { amount: '1.00', reason: 'customer asked' }, 'reason'],
    ['a wallet to refund to', { wallet: 'cash' }, 'wallet'],
  ];
  test.each(bodies)('%s', async (_, body, field) => {
    const { residentId, payment } = await paid('20.00', '10.00');
    const before = await everything(t);
    const res = await refund(t.http, shop.key, payment.id, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await everything(t)).toEqual(before);
    expect(await cashOf(t, residentId)).toBe('10.00');
  });

  test('a null amount', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    const before = await everything(t);
    const res = await refund(t.http, shop.key, payment.id, { amount: null });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('amount');
    expect(await everything(t)).toEqual(before);
    expect(await cashOf(t, residentId)).toBe('10.00');
  });

  test.each([
    ['missing', null],
    ['empty', ''],
    ['256 characters', 'r'.repeat(256)],
  ])('Idempotency-Key %s: 400 idempotency_key_required', async (_, idem) => {
    const { payment } = await paid('20.00', '10.00');
    const before = await everything(t);
    expectError(await refund(t.http, shop.key, payment.id, {}, { idem }), 400, 'idempotency_key_required');
    expect(await everything(t)).toEqual(before);
  });
});

describe('idempotency', () => {
  test('the same refund sent again: replayed, refunded once', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    const idem = randomUUID();
    const first = await refund(t.http, shop.key, payment.id, { amount: '4.00' }, { idem });
    const before = await moneyState(t);
    const again = await refund(t.http, shop.key, payment.id, { amount: '4.00' }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyState(t)).toEqual(before);
    expect(await cashOf(t, residentId)).toBe('14.00');
  });

  test('a default ("what is left") refund sent again is replayed, not refunded a second time', async () => {
    const { residentId, payment } = await paid('20.00', '10.00');
    await refund(t.http, shop.key, payment.id, { amount: '2.00' });
    const idem = randomUUID();
    const first = await refund(t.http, shop.key, payment.id, {}, { idem });
    expect(first.body.amount).toBe('8.00');
    const again = await refund(t.http, shop.key, payment.id, {}, { idem });
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({ status: 201, body: first.body, replayed: 'true' });
    expect(await cashOf(t, residentId)).toBe('20.00');
  });

  test('the same key with another amount or for another payment: 422 idempotency_key_reused, nothing moves', async () => {
    const a = await paid('20.00', '10.00');
    const b = await paid('20.00', '10.00');
    const idem = randomUUID();
    await refund(t.http, shop.key, a.payment.id, { amount: '1.00' }, { idem });
    const before = await moneyState(t);
    expectError(await refund(t.http, shop.key, a.payment.id, { amount: '2.00' }, { idem }), 422, 'idempotency_key_reused');
    expectError(await refund(t.http, shop.key, a.payment.id, {}, { idem }), 422, 'idempotency_key_reused');
    expectError(await refund(t.http, shop.key, b.payment.id, { amount: '1.00' }, { idem }), 422, 'idempotency_key_reused');
    expect(await moneyState(t)).toEqual(before);
  });

  test("a payment's key reused for a refund: 422 idempotency_key_reused", async () => {
    const h = await holder(t, '20.00');
    const idem = randomUUID();
    const p = await pay(t.http, shop.key, { uid: h.card.uid, amount: '5.00' }, { idem });
    const before = await moneyState(t);
    expectError(await refund(t.http, shop.key, p.body.id, {}, { idem }), 422, 'idempotency_key_reused');
    expect(await moneyState(t)).toEqual(before);
  });

  test('a refusal is replayed too: refund_exceeds_payment stays the answer for that key', async () => {
    const { payment } = await paid('20.00', '10.00');
    const idem = randomUUID();
    const first = await refund(t.http, shop.key, payment.id, { amount: '11.00' }, { idem });
    expectError(first, 409, 'refund_exceeds_payment');
    const again = await refund(t.http, shop.key, payment.id, { amount: '11.00' }, { idem });
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({ status: 409, body: first.body, replayed: 'true' });
  });
});

test('after all of the above the ledger verifies', async () => {
  expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
