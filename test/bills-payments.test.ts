import { randomUUID } from 'node:crypto';
import { payeeAccountId } from '../src/bills/bill-accounts';
import { cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { addDays, createBill, payBill, read, records, reference, state } from './support/bills';
import { cashOf, holder, shanghaiDay, statementOf, topUp, verify, deskKeys, type DeskKeys } from './support/money';
import { cardUid, expectError, ledgerBalance } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 缴费 at the desk: a bill paid once, from its own resident's cash, through an active card. */
let t: TestApp;
let keys: DeskKeys;

beforeAll(async () => {
  t = await startTestApp();
  keys = await deskKeys(t);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/bills/:id/payments', () => {
  test('201 in the contract shape; cash goes to the payee in the ledger; the bill is paid; the statement shows it', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { payee: 'electricity', amount: '86.40' });
    const owed = await ledgerBalance(t, payeeAccountId('electricity'));
    const res = await payBill(t.http, bill.id, { cardId: h.card.id }, { key: keys.operator });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      billId: bill.id,
      status: 'paid',
      amount: '86.40',
      cardId: h.card.id,
      residentId: h.residentId,
      payee: 'electricity',
      reference: bill.reference,
      transactionId: expect.stringMatching(UUID),
      balance: { cash: '13.60' },
      createdAt: expect.stringMatching(ISO),
    });

    const entries = await t.knex('ledger_entries').where({ transaction_id: res.body.transactionId }).orderBy('account_id').select('account_id', 'amount');
    expect(entries).toEqual([
      { account_id: cashWalletId(h.residentId), amount: '-86.40' },
      { account_id: payeeAccountId('electricity'), amount: '86.40' },
    ]);
    expect(await cashOf(t, h.residentId)).toBe('13.60');
    expect(await ledgerBalance(t, payeeAccountId('electricity'))).toBe((Number(owed) + 86.4).toFixed(2));
    const row = await t.knex('bill_payments').where({ id: res.body.id }).first('bill_id', 'card_id', 'resident_id', 'amount', 'transaction_id', 'api_key_id');
    expect(row).toEqual({ bill_id: bill.id, card_id: h.card.id, resident_id: h.residentId, amount: '86.40', transaction_id: res.body.transactionId, api_key_id: keys.operatorId });
    expect(await read(t.http, `/v1/bills/${bill.id}`)).toMatchObject({ status: 'paid', overdue: false, paymentId: res.body.id, paidAt: expect.stringMatching(ISO) });
    expect((await statementOf(t.http, h.card.id))[0]).toMatchObject({ id: res.body.transactionId, kind: 'bill_payment', amount: '-86.40', wallet: 'cash' });
  });

  test('an overdue bill can be paid, and stops being overdue', async () => {
    const h = await holder(t, '50.00');
    const bill = await createBill(t, h.residentId, { dueDate: addDays(shanghaiDay(), -30), amount: '50.00' });
    expect(bill.overdue).toBe(true);
    expect((await payBill(t.http, bill.id, { cardId: h.card.id })).body.balance).toEqual({ cash: '0.00' });
    expect(await read(t.http, `/v1/bills/${bill.id}`)).toMatchObject({ status: 'paid', overdue: false });
  });

  test('paid already (another desk, another key): 409 bill_already_paid, nothing moves', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    expect((await payBill(t.http, bill.id, { cardId: h.card.id })).status).toBe(201);
    const before = await records(t);
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }, { key: keys.operator }), 409, 'bill_already_paid');
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 409, 'bill_already_paid');
    expect(await records(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('90.00');
  });

  test('short of cash: 402 insufficient_funds, nothing moves, the bill stays unpaid; after a top-up it pays', async () => {
    const h = await holder(t, '86.39');
    const bill = await createBill(t, h.residentId, { amount: '86.40' });
    const before = await records(t);
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 402, 'insufficient_funds');
    expect(await records(t)).toEqual(before);
    expect(await read(t.http, `/v1/bills/${bill.id}`)).toMatchObject({ status: 'unpaid', paymentId: null });
    expect((await topUp(t.http, { cardId: h.card.id, amount: '0.01', method: 'cash' })).status).toBe(201);
    const paid = await payBill(t.http, bill.id, { cardId: h.card.id });
    expect(paid.status).toBe(201);
    expect(paid.body.balance).toEqual({ cash: '0.00' });
  });

  test('an empty wallet: 402 insufficient_funds', async () => {
    const h = await holder(t);
    const bill = await createBill(t, h.residentId, { amount: '0.01' });
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 402, 'insufficient_funds');
  });

  test("another resident's card: 409 card_resident_mismatch, nothing moves", async () => {
    const owner = await holder(t, '100.00');
    const neighbour = await holder(t, '100.00');
    const bill = await createBill(t, owner.residentId, { amount: '10.00' });
    const before = await records(t);
    expectError(await payBill(t.http, bill.id, { cardId: neighbour.card.id }), 409, 'card_resident_mismatch');
    expect(await records(t)).toEqual(before);
    expect(await read(t.http, `/v1/bills/${bill.id}`)).toMatchObject({ status: 'unpaid' });
  });

  test('a locked card: 409 card_not_active, nothing moves; unlocked, it pays', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    await t.http.post(`/v1/cards/${h.card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' });
    const before = await records(t);
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 409, 'card_not_active');
    expect(await records(t)).toEqual(before);
    await t.http.post(`/v1/cards/${h.card.id}/unlock`).set(bearer(TEST_ADMIN_KEY)).send();
    expect((await payBill(t.http, bill.id, { cardId: h.card.id })).status).toBe(201);
  });

  test('a replaced card: 409 card_not_active; the new card pays from the same wallet', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const next = await t.http.post(`/v1/cards/${h.card.id}/replace`).set(bearer(TEST_ADMIN_KEY)).send({ uid: cardUid(), reason: 'damaged' });
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 409, 'card_not_active');
    expect((await payBill(t.http, bill.id, { cardId: next.body.id })).body).toMatchObject({ cardId: next.body.id, balance: { cash: '90.00' } });
  });

  test('a closed card: 409 card_not_active', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    await t.http.post(`/v1/cards/${h.card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({});
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }), 409, 'card_not_active');
  });

  test('unknown bill: 404 bill_not_found; unknown card: 404 card_not_found; nothing moves', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const before = await records(t);
    expectError(await payBill(t.http, randomUUID(), { cardId: h.card.id }), 404, 'bill_not_found');
    expectError(await payBill(t.http, bill.id, { cardId: randomUUID() }), 404, 'card_not_found');
    expect(await records(t)).toEqual(before);
  });

  test.each([['merchant'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing moves', async (role) => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const before = await state(t);
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }, { key: keys[role] }), 403, 'forbidden');
    expect(await state(t)).toEqual(before);
  });

  const bodies: [string, (cardId: string) => unknown, string][] = [
    ['no cardId', () => ({}), 'cardId'],
    ['a cardId that is not a uuid', () => ({ cardId: 'card-1' }), 'cardId'],
    ['a UID instead of a cardId', () => ({ cardId: cardUid() }), 'cardId'],
    ['an amount (bills are paid whole)', (cardId) => ({ cardId, amount: '1.00' }), 'amount'],
    ['an unknown field', (cardId) => ({ cardId, wallet: 'subsidy' }), 'wallet'],
  ];
  test.each(bodies)('%s: 400 validation_failed, nothing moves or is stored', async (_, body, field) => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const before = await state(t);
    const res = await payBill(t.http, bill.id, body(h.card.id) as Record<string, unknown>);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await state(t)).toEqual(before);
  });

  test('a bill id that is not a uuid: 400 validation_failed', async () => {
    const h = await holder(t, '100.00');
    expectError(await payBill(t.http, 'bill-1', { cardId: h.card.id }), 400, 'validation_failed');
  });
});

describe('Idempotency-Key on bill payments', () => {
  test.each([
    ['missing', null],
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
  ])('%s: 400 idempotency_key_required, nothing moves', async (_, idem) => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const before = await state(t);
    expectError(await payBill(t.http, bill.id, { cardId: h.card.id }, { idem }), 400, 'idempotency_key_required');
    expect(await state(t)).toEqual(before);
  });

  test('the same key and body again: the first answer replayed with Idempotent-Replayed, money moves once', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const idem = randomUUID();
    const first = await payBill(t.http, bill.id, { cardId: h.card.id }, { idem });
    expect(first.status).toBe(201);
    const before = await state(t);
    const again = await payBill(t.http, bill.id, { cardId: h.card.id }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await state(t)).toEqual(before);
    expect(await cashOf(t, h.residentId)).toBe('90.00');
  });

  test('the same key for another bill or card: 422 idempotency_key_reused, nothing moves', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const other = await createBill(t, h.residentId, { amount: '10.00' });
    const idem = randomUUID();
    expect((await payBill(t.http, bill.id, { cardId: h.card.id }, { idem })).status).toBe(201);
    const before = await state(t);
    expectError(await payBill(t.http, other.id, { cardId: h.card.id }, { idem }), 422, 'idempotency_key_reused');
    expectError(await payBill(t.http, bill.id, { cardId: randomUUID() }, { idem }), 422, 'idempotency_key_reused');
    expect(await state(t)).toEqual(before);
  });

  test('a refusal is replayed too, even after the reason for it has gone', async () => {
    const h = await holder(t, '5.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    const idem = randomUUID();
    const first = await payBill(t.http, bill.id, { cardId: h.card.id }, { idem });
    expectError(first, 402, 'insufficient_funds');
    await topUp(t.http, { cardId: h.card.id, amount: '100.00', method: 'cash' });
    const before = await records(t);
    const again = await payBill(t.http, bill.id, { cardId: h.card.id }, { idem });
    expect(again.status).toBe(402);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await records(t)).toEqual(before);
  });
});

test('after all of the above the ledger verifies', async () => {
  expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
