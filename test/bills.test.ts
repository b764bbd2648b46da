import { randomUUID } from 'node:crypto';
import { payeeAccountId } from '../src/bills/bill-accounts';
import { cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { addDays, billBody, createBill, payBill, postBill, read, records, reference, state } from './support/bills';
import { apiKey } from './support/factories';
import { cashOf, holder, shanghaiDay, statementOf, terminal, topUp, verify } from './support/money';
import { cardUid, expectError, ledgerBalance, registerResident } from './support/residents';

/** 缴费: bills entered by the admin, listed at the desk, paid once from the resident's cash. */
let t: TestApp;
let keys: { operator: string; operatorId: string; auditor: string; door: string; merchant: string };

beforeAll(async () => {
  t = await startTestApp();
  const op = await apiKey(t, 'operator');
  keys = { operator: op.key, operatorId: op.id, auditor: (await apiKey(t, 'auditor')).key, door: (await apiKey(t, 'door')).key, merchant: (await terminal(t)).key };
});
afterAll(async () => {
  await t?.close();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /v1/bills', () => {
  test('201 in the contract shape, stored as sent, unpaid and not overdue', async () => {
    const r = await registerResident(t);
    const ref = reference('SH-WATER');
    const res = await postBill(t.http, { residentId: r.id, payee: 'water', amount: '86.4', dueDate: '2099-12-15', reference: ref });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      status: 'unpaid',
      residentId: r.id,
      payee: 'water',
      amount: '86.40',
      dueDate: '2099-12-15',
      reference: ref,
      overdue: false,
      paymentId: null,
      paidAt: null,
      createdAt: expect.stringMatching(ISO),
    });
    const row = await t.knex('bills').where({ id: res.body.id }).first('resident_id', 'payee', 'amount', 'due_date', 'reference', 'status');
    expect(row).toEqual({ resident_id: r.id, payee: 'water', amount: '86.40', due_date: '2099-12-15', reference: ref, status: 'unpaid' });
    expect(await read(t.http, `/v1/bills/${res.body.id}`)).toEqual(res.body);
  });

  test.each([['water'], ['electricity'], ['gas'], ['property']])('payee %s: accepted, and its ledger account exists (moving nothing yet)', async (payee) => {
    const r = await registerResident(t);
    const before = await t.knex('ledger_transactions').count<{ n: string }[]>('* as n');
    expect((await createBill(t, r.id, { payee })).payee).toBe(payee);
    const account = await t.knex('ledger_accounts').where({ id: payeeAccountId(payee as 'water') }).first('owner_type', 'kind', 'may_go_negative');
    expect(account).toEqual({ owner_type: 'payee', kind: 'payee', may_go_negative: true });
    expect(await t.knex('ledger_transactions').count<{ n: string }[]>('* as n')).toEqual(before);
  });

  test('overdue: unpaid with a due date before today in Asia/Shanghai; due today is not overdue yet', async () => {
    const r = await registerResident(t);
    const today = shanghaiDay();
    expect((await createBill(t, r.id, { dueDate: addDays(today, -1) })).overdue).toBe(true);
    expect((await createBill(t, r.id, { dueDate: today })).overdue).toBe(false);
    expect((await createBill(t, r.id, { dueDate: addDays(today, 1) })).overdue).toBe(false);
  });

  test('a reference used twice: 409 bill_exists, nothing stored (even for another resident, payee or amount)', async () => {
    const r = await registerResident(t);
    const other = await registerResident(t);
    const first = await createBill(t, r.id);
    const before = await state(t);
    expectError(await postBill(t.http, billBody(r.id, { reference: first.reference })), 409, 'bill_exists');
    expectError(await postBill(t.http, billBody(other.id, { reference: first.reference, payee: 'gas', amount: '1.00' })), 409, 'bill_exists');
    expect(await state(t)).toEqual(before);
  });

  test('references are compared exactly: another case is another reference', async () => {
    const r = await registerResident(t);
    const ref = reference('abc');
    await createBill(t, r.id, { reference: ref });
    expect((await postBill(t.http, billBody(r.id, { reference: ref.toUpperCase() }))).status).toBe(201);
  });

  test('unknown resident: 404 resident_not_found, nothing stored', async () => {
    const before = await state(t);
    expectError(await postBill(t.http, billBody(randomUUID())), 404, 'resident_not_found');
    expect(await state(t)).toEqual(before);
  });

  test.each([['operator'], ['merchant'], ['auditor'], ['door']] as const)('a %s key: 403 forbidden, nothing stored', async (role) => {
    const r = await registerResident(t);
    const before = await state(t);
    expectError(await postBill(t.http, billBody(r.id), keys[role]), 403, 'forbidden');
    expect(await state(t)).toEqual(before);
  });

  test('no key: 401', async () => {
    expectError(await t.http.post('/v1/bills').send(billBody(randomUUID())), 401, 'unauthorized');
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['amount as a JSON number', { amount: 86.4 }, 'amount'],
    ['a negative amount', { amount: '-1.00' }, 'amount'],
    ['a zero amount', { amount: '0.00' }, 'amount'],
    ['an amount with three decimals', { amount: '1.001' }, 'amount'],
    ['an amount in exponent notation', { amount: '1e3' }, 'amount'],
    ['an amount of eleven digits', { amount: '12345678901' }, 'amount'],
    ['no amount', { amount: undefined }, 'amount'],
    ['an unknown payee', { payee: 'telecom' }, 'payee'],
    ['a payee in upper case', { payee: 'WATER' }, 'payee'],
    ['a due date without zero padding', { dueDate: '2026-1-5' }, 'dueDate'],
    ['a due date that does not exist', { dueDate: '2026-02-30' }, 'dueDate'],
    ['a due date with slashes', { dueDate: '2026/12/15' }, 'dueDate'],
    ['a due date with a time', { dueDate: '2026-12-15T00:00:00Z' }, 'dueDate'],
    ['a due date in year 0', { dueDate: '0000-01-01' }, 'dueDate'],
    ['a due date as a number', { dueDate: 20261215 }, 'dueDate'],
    ['no due date', { dueDate: undefined }, 'dueDate'],
    ['an empty reference', { reference: '' }, 'reference'],
    ['a blank reference', { reference: '   ' }, 'reference'],
    ['a reference with a space at the end', { reference: 'W-1 ' }, 'reference'],
    ['a reference with a control character', { reference: 'W-\n1' }, 'reference'],
    ['a reference of 65 characters', { reference: 'R'.repeat(65) }, 'reference'],
    ['a reference as a number', { reference: 12345 }, 'reference'],
    ['a residentId that is not a uuid', { residentId: 'resident-1' }, 'residentId'],
    ['an unknown field', { status: 'paid' }, 'status'],
  ];
  test.each(bad)('%s: 400 validation_failed naming the field, nothing stored', async (_, change, field) => {
    const r = await registerResident(t);
    const before = await state(t);
    const res = await postBill(t.http, billBody(r.id, change));
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await state(t)).toEqual(before);
  });

  test('a reference of 64 characters, with Chinese and inner spaces, is fine', async () => {
    const r = await registerResident(t);
    const ref = `水费 ${randomUUID()}`.padEnd(64, '号');
    expect((await createBill(t, r.id, { reference: ref })).reference).toBe(ref);
  });
});

describe('GET /v1/residents/:id/bills', () => {
  test('newest first, with overdue flags and the payment of paid bills; ?status filters', async () => {
    const h = await holder(t, '100.00');
    const today = shanghaiDay();
    const old = await createBill(t, h.residentId, { dueDate: addDays(today, -10), amount: '10.00' });
    const paid = await createBill(t, h.residentId, { dueDate: addDays(today, -5), amount: '20.00' });
    const current = await createBill(t, h.residentId, { dueDate: addDays(today, 20), amount: '30.00' });
    const payment = await payBill(t.http, paid.id, { cardId: h.card.id });
    expect(payment.status).toBe(201);
    await createBill(t, (await registerResident(t)).id);

    const all = await read(t.http, `/v1/residents/${h.residentId}/bills`);
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((b: { id: string; status: string; overdue: boolean }) => [b.id, b.status, b.overdue])).toEqual([
      [current.id, 'unpaid', false],
      [paid.id, 'paid', false],
      [old.id, 'unpaid', true],
    ]);
    expect(all.items[1]).toMatchObject({ paymentId: payment.body.id, paidAt: expect.stringMatching(ISO) });

    const unpaid = await read(t.http, `/v1/residents/${h.residentId}/bills?status=unpaid`);
    expect(unpaid.items.map((b: { id: string }) => b.id)).toEqual([current.id, old.id]);
    const paidOnly = await read(t.http, `/v1/residents/${h.residentId}/bills?status=paid`);
    expect(paidOnly.items.map((b: { id: string }) => b.id)).toEqual([paid.id]);
  });

  test('pages with ?limit and ?cursor, every bill once', async () => {
    const r = await registerResident(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createBill(t, r.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await read(t.http, `/v1/residents/${r.id}/bills?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids.reverse());
  });

  test('a resident without bills: an empty list', async () => {
    const r = await registerResident(t);
    expect(await read(t.http, `/v1/residents/${r.id}/bills`)).toEqual({ items: [], nextCursor: null });
  });

  test('an operator may read it; merchant, auditor and door keys may not', async () => {
    const r = await registerResident(t);
    expect((await t.http.get(`/v1/residents/${r.id}/bills`).set(bearer(keys.operator))).status).toBe(200);
    for (const role of ['merchant', 'auditor', 'door'] as const) expectError(await t.http.get(`/v1/residents/${r.id}/bills`).set(bearer(keys[role])), 403, 'forbidden');
  });

  test.each([
    ['an unknown resident', () => `/v1/residents/${randomUUID()}/bills`, 404, 'resident_not_found'],
    ['a resident id that is not a uuid', () => '/v1/residents/nope/bills', 400, 'validation_failed'],
    ['an unknown status', () => `/v1/residents/${randomUUID()}/bills?status=overdue`, 400, 'validation_failed'],
    ['a limit of 0', () => `/v1/residents/${randomUUID()}/bills?limit=0`, 400, 'validation_failed'],
    ['a limit above 500', () => `/v1/residents/${randomUUID()}/bills?limit=501`, 400, 'validation_failed'],
    ['a foreign cursor', () => `/v1/residents/${randomUUID()}/bills?cursor=garbage`, 400, 'validation_failed'],
    ['an unknown query field', () => `/v1/residents/${randomUUID()}/bills?payee=water`, 400, 'validation_failed'],
  ])('%s: %i %s', async (_, path, status, code) => {
    expectError(await t.http.get(path()).set(bearer(TEST_ADMIN_KEY)), status, code);
  });
});

describe('GET /v1/bills/:id', () => {
  test('unknown: 404 bill_not_found; not a uuid: 400', async () => {
    expectError(await t.http.get(`/v1/bills/${randomUUID()}`).set(bearer(TEST_ADMIN_KEY)), 404, 'bill_not_found');
    expectError(await t.http.get('/v1/bills/nope').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
  });
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

describe('the bills table itself', () => {
  test('a paid bill cannot be set back to unpaid, and bills cannot be deleted or changed', async () => {
    const h = await holder(t, '100.00');
    const bill = await createBill(t, h.residentId, { amount: '10.00' });
    await expect(t.knex('bills').where({ id: bill.id }).update({ amount: '1.00' })).rejects.toThrow(/unpaid to paid/);
    await expect(t.knex('bills').where({ id: bill.id }).del()).rejects.toThrow(/never deleted/);
    await payBill(t.http, bill.id, { cardId: h.card.id });
    await expect(t.knex('bills').where({ id: bill.id }).update({ status: 'unpaid', paid_at: null })).rejects.toThrow(/unpaid to paid/);
    await expect(t.knex('bill_payments').where({ bill_id: bill.id }).del()).rejects.toThrow(/append-only/);
  });
});

test('after all of the above the ledger verifies', async () => {
  expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
});
