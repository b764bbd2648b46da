import { randomUUID } from 'node:crypto';
import { payeeAccountId } from '../src/bills/bill-accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { addDays, billBody, createBill, payBill, postBill, read, reference, state } from './support/bills';
import { holder, shanghaiDay, verify, deskKeys, type DeskKeys } from './support/money';
import { expectError, registerResident } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** 缴费: bills entered by the admin, listed at the desk, paid once from the resident's cash. */
let t: TestApp;
let keys: DeskKeys;

beforeAll(async () => {
  t = await startTestApp();
  keys = await deskKeys(t);
});
afterAll(async () => {
  await t?.close();
});

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

  const refused: [string, number, string, () => string][] = [
    ['an unknown resident', 404, 'resident_not_found', () => `/v1/residents/${randomUUID()}/bills`],
    ['a resident id that is not a uuid', 400, 'validation_failed', () => '/v1/residents/nope/bills'],
    ['an unknown status', 400, 'validation_failed', () => `/v1/residents/${randomUUID()}/bills?status=overdue`],
    ['a limit of 0', 400, 'validation_failed', () => `/v1/residents/${randomUUID()}/bills?limit=0`],
    ['a limit above 500', 400, 'validation_failed', () => `/v1/residents/${randomUUID()}/bills?limit=501`],
    ['a foreign cursor', 400, 'validation_failed', () => `/v1/residents/${randomUUID()}/bills?cursor=garbage`],
    ['an unknown query field', 400, 'validation_failed', () => `/v1/residents/${randomUUID()}/bills?payee=water`],
  ];
  test.each(refused)('%s: %i %s', async (_, status, code, path) => {
    expectError(await t.http.get(path()).set(bearer(TEST_ADMIN_KEY)), status, code);
  });
});

describe('GET /v1/bills/:id', () => {
  test('unknown: 404 bill_not_found; not a uuid: 400', async () => {
    expectError(await t.http.get(`/v1/bills/${randomUUID()}`).set(bearer(TEST_ADMIN_KEY)), 404, 'bill_not_found');
    expectError(await t.http.get('/v1/bills/nope').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
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
