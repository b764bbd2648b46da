import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { programAccountId, TREASURY } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { approvedPayment, refund, terminal, topUp, verify, type Terminal } from './support/money';
import { expectError, ledgerBalance } from './support/residents';
import { ISO, UUID } from './support/shapes';
import {
  allowanceBody,
  budgetOf,
  createProgram,
  discountBody,
  disburse,
  disburseOk,
  expireLots,
  fund,
  fundOk,
  personAged,
  program,
  reconciledReport,
  report,
  shanghaiMonth,
  slug,
  stopScheduledSweeps,
  subsidyState,
  sweepOk,
  treasury,
  needsDisbursement,
} from './support/subsidies';

/** 补贴项目: creating programs, funding them from the district treasury, and the program report. */
let t: TestApp;
let keys: { operator: string; auditor: string; merchant: string };

beforeAll(async () => {
  t = await startTestApp();
  await stopScheduledSweeps(t);
  keys = { operator: (await apiKey(t, 'operator')).key, auditor: (await apiKey(t, 'auditor')).key, merchant: (await apiKey(t, 'merchant')).key };
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/subsidy-programs', () => {
  test('an allowance program: 201 with the program view, and a budget account at 0.00 in the ledger', async () => {
    const tag = slug();
    const res = await createProgram(t.http, allowanceBody({ name: '长者助餐补贴', merchantCategories: ['canteen', 'pharmacy'], eligibility: { minAge: 60, maxAge: 79, tags: [tag] }, amount: '200.00', validDays: 31 }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: '长者助餐补贴',
      kind: 'allowance',
      merchantCategories: ['canteen', 'pharmacy'],
      eligibility: { minAge: 60, maxAge: 79, tags: [tag] },
      amount: '200.00',
      validDays: 31,
      createdAt: expect.stringMatching(ISO),
    });
    expect(await budgetOf(t, res.body.id)).toBe('0.00');
    const account = await t.knex('ledger_accounts').where({ id: programAccountId(res.body.id) }).first('kind', 'may_go_negative');
    expect(account).toEqual({ kind: 'program_budget', may_go_negative: false });
  });

  test('a discount program: dailyLimit defaults to 1, amounts print two decimals', async () => {
    const res = await createProgram(t.http, discountBody({ eligibility: { minAge: 80 }, amount: '3', minSpend: '15' }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: '老年助餐优惠',
      kind: 'discount',
      merchantCategories: ['canteen'],
      eligibility: { minAge: 80, tags: [] },
      amount: '3.00',
      minSpend: '15.00',
      dailyLimit: 1,
      createdAt: expect.stringMatching(ISO),
    });
    const limited = await createProgram(t.http, discountBody({ eligibility: { tags: ['dibao'] }, amount: '5.00', minSpend: '8.00', dailyLimit: 3 }));
    expect(limited.status).toBe(201);
    expect(limited.body).toMatchObject({ eligibility: { tags: ['dibao'] }, amount: '5.00', minSpend: '8.00', dailyLimit: 3 });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no categories', allowanceBody({ merchantCategories: [] }), 'merchantCategories'],
    ['categories missing', { ...allowanceBody(), merchantCategories: undefined }, 'merchantCategories'],
    ['a category that is not a slug', allowanceBody({ merchantCategories: ['Canteen'] }), 'merchantCategories'],
    ['a category given as a string', allowanceBody({ merchantCategories: 'canteen' }), 'merchantCategories'],
    ['a negative amount', allowanceBody({ amount: '-100.00' }), 'amount'],
    ['a zero amount', allowanceBody({ amount: '0.00' }), 'amount'],
    ['an over-precise amount', allowanceBody({ amount: '100.001' }), 'amount'],
    ['an amount as a JSON number', allowanceBody({ amount: 100 }), 'amount'],
    ['minAge above maxAge', allowanceBody({ eligibility: { minAge: 80, maxAge: 79 } }), 'minAge'],
    ['a negative minAge', allowanceBody({ eligibility: { minAge: -1 } }), 'minAge'],
    ['a fractional maxAge', allowanceBody({ eligibility: { maxAge: 79.5 } }), 'maxAge'],
    ['an age as a string', allowanceBody({ eligibility: { minAge: '60' } }), 'minAge'],
    ['an upper-case tag', allowanceBody({ eligibility: { tags: ['Dibao'] } }), 'tags'],
    ['a tag with a space', allowanceBody({ eligibility: { tags: ['di bao'] } }), 'tags'],
    ['tags as a string', allowanceBody({ eligibility: { tags: 'dibao' } }), 'tags'],
    ['an unknown eligibility field', allowanceBody({ eligibility: { gender: 'f' } }), 'gender'],
    ['no eligibility at all', { ...allowanceBody(), eligibility: undefined }, 'eligibility'],
    ['an unknown kind', allowanceBody({ kind: 'voucher' }), 'kind'],
    ['an allowance without validDays', { ...allowanceBody(), validDays: undefined }, 'validDays'],
    ['validDays 0', allowanceBody({ validDays: 0 }), 'validDays'],
    ['validDays on a discount', discountBody({ validDays: 30 }), 'validDays'],
    ['minSpend on an allowance', allowanceBody({ minSpend: '15.00' }), 'minSpend'],
    ['a negative minSpend', discountBody({ minSpend: '-15.00' }), 'minSpend'],
    ['an over-precise minSpend', discountBody({ minSpend: '15.001' }), 'minSpend'],
    ['minSpend as a JSON number', discountBody({ minSpend: 15 }), 'minSpend'],
    ['dailyLimit 0', discountBody({ dailyLimit: 0 }), 'dailyLimit'],
    ['an unknown field', allowanceBody({ budget: '1000.00' }), 'budget'],
    ['a blank name', allowanceBody({ name: '   ' }), 'name'],
    ['a category twice', allowanceBody({ merchantCategories: ['canteen', 'canteen'] }), 'merchantCategories'],
    ['a tag twice', allowanceBody({ eligibility: { tags: ['dibao', 'dibao'] } }), 'tags'],
    ['eligibility as an array', allowanceBody({ eligibility: [] }), 'eligibility'],
    ['validDays as a string', allowanceBody({ validDays: '30' }), 'validDays'],
    ['a fractional dailyLimit', discountBody({ dailyLimit: 1.5 }), 'dailyLimit'],
    ['dailyLimit on an allowance', allowanceBody({ dailyLimit: 1 }), 'dailyLimit'],
  ];
  test.each(bad)('%s: 400 validation_failed naming the field; nothing is created', async (_, body, field) => {
    const before = await subsidyState(t);
    const res = await createProgram(t.http, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await subsidyState(t)).toEqual(before);
  });

  test('only an admin creates programs: operator, auditor and merchant keys get 403; no key 401', async () => {
    const before = await subsidyState(t);
    for (const key of [keys.operator, keys.auditor, keys.merchant]) expectError(await createProgram(t.http, allowanceBody(), key), 403, 'forbidden');
    expectError(await t.http.post('/v1/subsidy-programs').send(allowanceBody()), 401, 'unauthorized');
    expect(await subsidyState(t)).toEqual(before);
  });
});

describe('POST /v1/subsidy-programs/:id/funding', () => {
  test('201 {id, programId, amount, budget}: the treasury pays the budget in the ledger; budgets add up', async () => {
    const p = await program(t, allowanceBody({ eligibility: { tags: [slug()] } }));
    const treasuryBefore = new Decimal(await treasury(t));
    const first = await fund(t.http, p.id, { amount: '1000.00' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.stringMatching(UUID), programId: p.id, amount: '1000.00', budget: '1000.00' });
    const second = await fund(t.http, p.id, { amount: '0.5' });
    expect(second.body).toMatchObject({ programId: p.id, amount: '0.50', budget: '1000.50' });
    expect(await budgetOf(t, p.id)).toBe('1000.50');
    expect(await treasury(t)).toBe(treasuryBefore.minus('1000.50').toFixed(2));
    const entries = await t.knex('ledger_entries as e').join('ledger_transactions as x', 'x.id', 'e.transaction_id').where('x.id', first.body.id).orderBy('e.amount').select('e.account_id', 'e.amount', 'x.kind');
    expect(entries).toEqual([
      { account_id: TREASURY, amount: '-1000.00', kind: 'program_funding' },
      { account_id: programAccountId(p.id), amount: '1000.00', kind: 'program_funding' },
    ]);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ budget: '1000.50', funded: '1000.50', disbursed: '0.00', spent: '0.00', discounted: '0.00', returned: '0.00', recipients: 0 });
  });

  test('the same Idempotency-Key again replays the answer and moves nothing; with another body 422', async () => {
    const p = await program(t, discountBody({ merchantCategories: [slug('c')] }));
    const idem = randomUUID();
    const first = await fund(t.http, p.id, { amount: '300.00' }, { idem });
    const before = await subsidyState(t);
    const again = await fund(t.http, p.id, { amount: '300.00' }, { idem });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expectError(await fund(t.http, p.id, { amount: '301.00' }, { idem }), 422, 'idempotency_key_reused');
    expect(await subsidyState(t)).toEqual(before);
    expect(await budgetOf(t, p.id)).toBe('300.00');
  });

  test.each([
    ['a negative amount', { amount: '-10.00' }, 'amount'],
    ['a zero amount', { amount: '0' }, 'amount'],
    ['an over-precise amount', { amount: '10.005' }, 'amount'],
    ['a JSON number', { amount: 10 }, 'amount'],
    ['no amount', {}, 'amount'],
    ['an unknown field', { amount: '10.00', from: 'system:cash_desk' }, 'from'],
  ])('%s: 400 validation_failed, nothing moves', async (_, body, field) => {
    const p = await program(t, allowanceBody({ eligibility: { tags: [slug()] } }));
    const before = await subsidyState(t);
    const res = await fund(t.http, p.id, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await subsidyState(t)).toEqual(before);
  });

  test('no Idempotency-Key: 400 idempotency_key_required; unknown program 404; not a UUID 400; non-admins 403; nothing moves', async () => {
    const p = await program(t, allowanceBody({ eligibility: { tags: [slug()] } }));
    const before = await subsidyState(t);
    expectError(await fund(t.http, p.id, { amount: '10.00' }, { idem: null }), 400, 'idempotency_key_required');
    expectError(await fund(t.http, randomUUID(), { amount: '10.00' }), 404, 'program_not_found');
    expectError(await fund(t.http, 'not-a-uuid', { amount: '10.00' }), 400, 'validation_failed');
    for (const key of [keys.operator, keys.auditor, keys.merchant]) expectError(await fund(t.http, p.id, { amount: '10.00' }, { key }), 403, 'forbidden');
    expect(await subsidyState(t)).toEqual(before);
  });
});

describe('disbursement requests that are refused', () => {
  test.each([
    ['a month 13', { period: '2026-13' }],
    ['a month 00', { period: '2026-00' }],
    ['a one-digit month', { period: '2026-1' }],
    ['no separator', { period: '202611' }],
    ['a date', { period: '2026-11-01' }],
    ['a JSON number', { period: 202611 }],
    ['no period', {}],
    ['an unknown field', { period: '2026-11', amount: '1.00' }],
  ])('%s: 400 validation_failed, nothing moves', async (_, body) => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] } }), '1000.00');
    await personAged(t, 70, [tag]);
    const before = await subsidyState(t);
    expectError(await disburse(t.http, p.id, body), 400, 'validation_failed');
    expect(await subsidyState(t)).toEqual(before);
  });

  test('a discount program is not disbursed (409 program_not_allowance); unknown 404; no key 400; non-admins 403', async () => {
    const p = await program(t, discountBody({ merchantCategories: [slug('c')] }), '100.00');
    const before = await subsidyState(t);
    expectError(await disburse(t.http, p.id, { period: '2026-11' }), 409, 'program_not_allowance');
    expectError(await disburse(t.http, randomUUID(), { period: '2026-11' }), 404, 'program_not_found');
    expectError(await disburse(t.http, p.id, { period: '2026-11' }, { idem: null }), 400, 'idempotency_key_required');
    for (const key of [keys.operator, keys.auditor, keys.merchant]) expectError(await disburse(t.http, p.id, { period: '2026-11' }, { key }), 403, 'forbidden');
    expect({ ...(await subsidyState(t)), payments: undefined }).toEqual({ ...before, payments: undefined });
  });
});

describe('GET /v1/subsidy-programs/:id (the report)', () => {
  let canteen: Terminal;
  beforeAll(async () => {
    canteen = await terminal(t, 'canteen');
  });

  needsDisbursement('every figure follows the money and reconciles with the ledger to the fen', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '50.00' }), '500.00');
    const people = [await personAged(t, 70, [tag]), await personAged(t, 75, [tag]), await personAged(t, 65, [tag])];
    const d = await disburseOk(t.http, p.id, shanghaiMonth());
    expect(d).toMatchObject({ recipients: 3, total: '150.00' });
    // Spend 12.30 of the first lot, 50.00 (all) plus 5.00 cash on the second, then refund 7.00 of the second (cash first).
    const a = await approvedPayment(t.http, canteen.key, people[0].card.uid, '12.30');
    expect(a.funding).toEqual([{ wallet: 'subsidy', programId: p.id, amount: '12.30' }]);
    await topUp(t.http, { cardId: people[1].card.id, amount: '5.00', method: 'cash' });
    const b = await approvedPayment(t.http, canteen.key, people[1].card.uid, '55.00');
    expect((await refund(t.http, canteen.key, b.id, { amount: '7.00' })).body.funding).toEqual([
      { wallet: 'cash', amount: '5.00' },
      { wallet: 'subsidy', programId: p.id, amount: '2.00' },
    ]);
    // The third lot expires untouched and is swept back.
    await expireLots(t, { program_id: p.id, resident_id: people[2].residentId });
    expect(await sweepOk(t.http, p.id)).toEqual({ programId: p.id, wallets: 1, amount: '50.00' });
    await fundOk(t.http, p.id, '10.00');

    const r = await reconciledReport(t, t.http, p.id);
    expect(r).toEqual({
      ...p,
      period: null,
      budget: '410.00', // 510 − 150 + 50
      funded: '510.00',
      disbursed: '150.00',
      spent: '60.30', // 12.30 + 50.00 − 2.00
      discounted: '0.00',
      returned: '50.00',
      recipients: 3,
    });
    // The auditor reads the same report.
    const byAuditor = await t.http.get(`/v1/subsidy-programs/${p.id}`).set(bearer(keys.auditor));
    expect(byAuditor.status).toBe(200);
    expect(byAuditor.body).toEqual(r);
    expect(await verify(t.http)).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
  });

  needsDisbursement('?period=YYYY-MM: this month holds all of it; another month holds none of it', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '20.00' }), '100.00');
    await personAged(t, 70, [tag]);
    await disburseOk(t.http, p.id, shanghaiMonth());
    const now = await report(t.http, p.id, shanghaiMonth());
    expect(now).toMatchObject({ period: shanghaiMonth(), funded: '100.00', disbursed: '20.00', recipients: 1, budget: '80.00' });
    const [y, m] = shanghaiMonth().split('-').map(Number);
    const earlier = `${m === 1 ? y - 1 : y}-${String(m === 1 ? 12 : m - 1).padStart(2, '0')}`;
    expect(await report(t.http, p.id, earlier)).toMatchObject({ period: earlier, funded: '0.00', disbursed: '0.00', spent: '0.00', discounted: '0.00', returned: '0.00', recipients: 0 });
  });

  test('?period=: recipients and disbursed describe the same disbursements', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '20.00' }), '100.00');
    await personAged(t, 70, [tag]);
    const [y] = shanghaiMonth().split('-').map(Number);
    const label = `${y + 1}-01`;
    await disburseOk(t.http, p.id, label);
    for (const period of [label, shanghaiMonth()]) {
      const r = await report(t.http, p.id, period);
      expect(new Decimal(r.disbursed).toFixed(2)).toBe(new Decimal(p.amount).times(r.recipients).toFixed(2));
    }
  });

  test('a discount program reports what it paid at the till, and refunds of it coming back', async () => {
    const category = slug('canteen');
    const shop = await terminal(t, category);
    const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '2.00', minSpend: '15.00' }), '100.00');
    const elder = await personAged(t, 70);
    await topUp(t.http, { cardId: elder.card.id, amount: '50.00', method: 'cash' });
    const paid = await approvedPayment(t.http, shop.key, elder.card.uid, '15.00');
    expect(paid.funding).toEqual([{ wallet: 'discount', programId: p.id, amount: '2.00' }, { wallet: 'cash', amount: '13.00' }]);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ budget: '98.00', funded: '100.00', discounted: '2.00', returned: '0.00', disbursed: '0.00', spent: '0.00', recipients: 0 });
    // A whole refund: the resident's 13.00 back to cash, the program's 2.00 back to its budget.
    const back = await refund(t.http, shop.key, paid.id);
    expect(back.body.funding).toEqual([{ wallet: 'cash', amount: '13.00' }, { wallet: 'discount', programId: p.id, amount: '2.00' }]);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ budget: '100.00', discounted: '2.00', returned: '2.00' });
    expect(await ledgerBalance(t, programAccountId(p.id))).toBe('100.00');
  });

  test('operator and merchant keys: 403; unknown program 404; not a UUID or a bad period: 400', async () => {
    const p = await program(t, allowanceBody({ eligibility: { tags: [slug()] } }));
    for (const key of [keys.operator, keys.merchant]) expectError(await t.http.get(`/v1/subsidy-programs/${p.id}`).set(bearer(key)), 403, 'forbidden');
    expectError(await t.http.get(`/v1/subsidy-programs/${randomUUID()}`).set(bearer(TEST_ADMIN_KEY)), 404, 'program_not_found');
    expectError(await t.http.get('/v1/subsidy-programs/nope').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
    for (const period of ['2026-13', '2026', 'x']) {
      expectError(await t.http.get(`/v1/subsidy-programs/${p.id}`).query({ period }).set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
    }
  });
});
