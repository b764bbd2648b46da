import Decimal from 'decimal.js';
import { startTestApp, type TestApp } from './support/app';
import { approvedPayment, cashOf, moneyState, owedTo, pay, refund, statementOf, terminal, topUp, verify, type Terminal } from './support/money';
import {
  allowanceBody,
  birthDateFor,
  budgetOf,
  discountBody,
  disburseOk,
  fundOk,
  personAged,
  personBorn,
  program,
  reconciledReport,
  shanghaiToday,
  slug,
  stopScheduledSweeps,
  type Person,
  type ProgramView,
  needsDisbursement,
} from './support/subsidies';

/**
 * 助餐优惠 at the till, after Putuo district, Shanghai (2025): residents aged 60–79 get
 * 2.00 off a canteen meal of at least 15.00 once a day, 80 and over 3.00, and elders on
 * 低保 (dibao) 5.00 off a meal of at least 8.00. The program pays the discount; the
 * merchant is still owed the whole price.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await stopScheduledSweeps(t);
});
afterAll(async () => {
  await t?.close();
});

/** A canteen category of the test's own (discounts apply to every merchant of a category) and its terminal. */
async function canteen(): Promise<{ category: string; shop: Terminal }> {
  const category = slug('canteen');
  return { category, shop: await terminal(t, category) };
}

async function withCash(person: Person, amount = '100.00'): Promise<Person> {
  const res = await topUp(t.http, { cardId: person.card.id, amount, method: 'cash' });
  if (res.status !== 201) throw new Error(`top-up failed: ${res.status}`);
  return person;
}

const sortLines = <T extends { wallet: string; programId?: string }>(lines: T[]) =>
  [...lines].sort((a, b) => `${a.wallet === 'discount' ? 0 : 1}${a.programId ?? ''}`.localeCompare(`${b.wallet === 'discount' ? 0 : 1}${b.programId ?? ''}`));

describe('the Putuo rules', () => {
  let shop: Terminal;
  let grocery: Terminal;
  let youngOld: ProgramView;
  let oldest: ProgramView;
  let dibao: ProgramView;

  beforeAll(async () => {
    const c = await canteen();
    shop = c.shop;
    grocery = await terminal(t, slug('grocery'));
    youngOld = await program(t, discountBody({ name: '60–79岁助餐', merchantCategories: [c.category], eligibility: { minAge: 60, maxAge: 79 }, amount: '2.00', minSpend: '15.00' }), '1000.00');
    oldest = await program(t, discountBody({ name: '80岁以上助餐', merchantCategories: [c.category], eligibility: { minAge: 80 }, amount: '3.00', minSpend: '15.00' }), '1000.00');
    dibao = await program(t, discountBody({ name: '低保老人助餐', merchantCategories: [c.category], eligibility: { minAge: 60, tags: ['dibao'] }, amount: '5.00', minSpend: '8.00' }), '1000.00');
  });

  const table: [string, () => string, string[], string, () => [ProgramView, string] | null][] = [
    ['59, the day before the 60th birthday', () => birthDateFor(60, 1), [], '20.00', () => null],
    ['60 on the 60th birthday', () => birthDateFor(60, 0), [], '15.00', () => [youngOld, '2.00']],
    ['60, a day past the birthday, spending 14.99', () => birthDateFor(60, -1), [], '14.99', () => null],
    ['70, spending 38.50', () => birthDateFor(70, -40), [], '38.50', () => [youngOld, '2.00']],
    ['79, the day before the 80th birthday', () => birthDateFor(80, 1), [], '15.00', () => [youngOld, '2.00']],
    ['80 on the 80th birthday', () => birthDateFor(80, 0), [], '15.00', () => [oldest, '3.00']],
    ['95, spending 15.01', () => birthDateFor(95, -10), [], '15.01', () => [oldest, '3.00']],
    ['80, spending 14.99', () => birthDateFor(80, -3), [], '14.99', () => null],
    ['dibao, 70, spending 8.00', () => birthDateFor(70, -5), ['dibao'], '8.00', () => [dibao, '5.00']],
    ['dibao, 70, spending 7.99', () => birthDateFor(70, -5), ['dibao'], '7.99', () => null],
    ['dibao, 59 (the day before the 60th birthday), spending 8.00', () => birthDateFor(60, 1), ['dibao'], '8.00', () => null],
    ['dibao, 60 on the birthday, spending 12.00', () => birthDateFor(60, 0), ['dibao'], '12.00', () => [dibao, '5.00']],
    ['dibao and disabled, 85, spending 10.00', () => birthDateFor(85, -30), ['disabled', 'dibao'], '10.00', () => [dibao, '5.00']],
    ['disabled but not dibao, 70, spending 8.00', () => birthDateFor(70, -5), ['disabled'], '8.00', () => null],
    ['45, spending 50.00', () => birthDateFor(45, -5), ['dibao'], '50.00', () => null],
  ];

  test.each(table)('%s', async (_, born, tags, amount, expected) => {
    const person = await withCash(await personBorn(t, born(), tags));
    const got = expected();
    const budgets = { youngOld: await budgetOf(t, youngOld.id), oldest: await budgetOf(t, oldest.id), dibao: await budgetOf(t, dibao.id) };
    const owed = await owedTo(t, shop.merchant.id);

    const paid = await approvedPayment(t.http, shop.key, person.card.uid, amount);
    const off = got ? got[1] : '0.00';
    const cash = new Decimal(amount).minus(off).toFixed(2);
    expect(paid.funding).toEqual([...(got ? [{ wallet: 'discount', programId: got[0].id, amount: got[1] }] : []), { wallet: 'cash', amount: cash }]);
    expect(paid.balance).toEqual({ cash: new Decimal(100).minus(cash).toFixed(2), subsidy: '0.00' });
    expect(await cashOf(t, person.residentId)).toBe(paid.balance.cash);
    expect(await owedTo(t, shop.merchant.id)).toBe(new Decimal(owed).plus(amount).toFixed(2));
    for (const [name, p] of [['youngOld', youngOld], ['oldest', oldest], ['dibao', dibao]] as const) {
      expect(await budgetOf(t, p.id)).toBe(new Decimal(budgets[name]).minus(got && got[0].id === p.id ? got[1] : 0).toFixed(2));
    }
    const uses = await t.knex('subsidy_discount_uses').where({ resident_id: person.residentId }).select('program_id', t.knex.raw('day::text AS day'), 'uses');
    expect(uses).toEqual(got ? [{ program_id: got[0].id, day: shanghaiToday(), uses: 1 }] : []);
  });

  test('a dibao elder of 65 buying a 15.00 meal qualifies for two programs, and the contract funds "discounts" from each', async () => {
    const person = await withCash(await personAged(t, 65, ['dibao']));
    const paid = await approvedPayment(t.http, shop.key, person.card.uid, '15.00');
    expect(sortLines(paid.funding)).toEqual(
      sortLines([
        { wallet: 'discount', programId: youngOld.id, amount: '2.00' },
        { wallet: 'discount', programId: dibao.id, amount: '5.00' },
        { wallet: 'cash', amount: '8.00' },
      ]),
    );
  });

  test('once a Shanghai day: the second meal of the day is full price; a new day gives it again', async () => {
    const person = await withCash(await personAged(t, 70));
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '15.00')).funding[0]).toEqual({ wallet: 'discount', programId: youngOld.id, amount: '2.00' });
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '15.00')).funding).toEqual([{ wallet: 'cash', amount: '15.00' }]);
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '20.00')).funding).toEqual([{ wallet: 'cash', amount: '20.00' }]);
    // The uses are counted on today's Shanghai date; yesterday's do not count today.
    expect(await t.knex('subsidy_discount_uses').where({ resident_id: person.residentId }).update({ day: t.knex.raw(`day - 1`) })).toBe(1);
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '15.00')).funding[0]).toEqual({ wallet: 'discount', programId: youngOld.id, amount: '2.00' });
    expect(await cashOf(t, person.residentId)).toBe('39.00'); // 100 − 13 − 15 − 20 − 13
  });

  test('not at a merchant of another category', async () => {
    const person = await withCash(await personAged(t, 70, ['dibao']));
    expect((await approvedPayment(t.http, grocery.key, person.card.uid, '15.00')).funding).toEqual([{ wallet: 'cash', amount: '15.00' }]);
    expect(await t.knex('subsidy_discount_uses').where({ resident_id: person.residentId })).toEqual([]);
  });

  test('a declined purchase uses up neither the day’s discount nor the budget', async () => {
    const person = await personAged(t, 70); // no cash at all: 13.00 is more than it has
    const budget = await budgetOf(t, youngOld.id);
    const before = await moneyState(t);
    const res = await pay(t.http, shop.key, { uid: person.card.uid, amount: '15.00' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 402, code: 'insufficient_funds' });
    expect({ ...(await moneyState(t)), payments: undefined }).toEqual({ ...before, payments: undefined });
    expect(await budgetOf(t, youngOld.id)).toBe(budget);
    await withCash(person, '13.00');
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '15.00')).funding).toEqual([
      { wallet: 'discount', programId: youngOld.id, amount: '2.00' },
      { wallet: 'cash', amount: '13.00' },
    ]);
  });

  test('the reports reconcile with the ledger after all of the above', async () => {
    for (const p of [youngOld, oldest, dibao]) {
      const r = await reconciledReport(t, t.http, p.id);
      expect(r).toMatchObject({ funded: '1000.00', disbursed: '0.00', spent: '0.00', returned: '0.00', recipients: 0 });
      expect(new Decimal(r.discounted).gt(0)).toBe(true);
    }
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });
});

describe('limits and budgets', () => {
  test('dailyLimit 2: the third discounted meal of the day is full price', async () => {
    const { category, shop } = await canteen();
    const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '1.50', minSpend: '5.00', dailyLimit: 2 }), '100.00');
    const person = await withCash(await personAged(t, 70));
    const offs = [];
    for (let i = 0; i < 3; i++) offs.push((await approvedPayment(t.http, shop.key, person.card.uid, '6.00')).funding.find((l) => l.wallet === 'discount')?.amount ?? null);
    expect(offs).toEqual(['1.50', '1.50', null]);
    expect(await budgetOf(t, p.id)).toBe('97.00');
  });

  test('a budget that cannot cover the discount: not applied, the resident pays in full; funded again, it applies again', async () => {
    const { category, shop } = await canteen();
    const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '2.00', minSpend: '15.00' }), '5.00');
    const people = [await withCash(await personAged(t, 61)), await withCash(await personAged(t, 62)), await withCash(await personAged(t, 63)), await withCash(await personAged(t, 64))];
    const offs = [];
    for (const person of people.slice(0, 3)) offs.push((await approvedPayment(t.http, shop.key, person.card.uid, '15.00')).funding);
    expect(offs).toEqual([
      [{ wallet: 'discount', programId: p.id, amount: '2.00' }, { wallet: 'cash', amount: '13.00' }],
      [{ wallet: 'discount', programId: p.id, amount: '2.00' }, { wallet: 'cash', amount: '13.00' }],
      [{ wallet: 'cash', amount: '15.00' }], // 1.00 left: not enough for 2.00
    ]);
    expect(await budgetOf(t, p.id)).toBe('1.00');
    expect(await t.knex('subsidy_discount_uses').where({ resident_id: people[2].residentId })).toEqual([]);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ funded: '5.00', discounted: '4.00', budget: '1.00' });

    await fundOk(t.http, p.id, '1.00');
    expect((await approvedPayment(t.http, shop.key, people[3].card.uid, '15.00')).funding[0]).toEqual({ wallet: 'discount', programId: p.id, amount: '2.00' });
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ funded: '6.00', discounted: '6.00', budget: '0.00' });
  });

  test('an unfunded discount program gives nothing', async () => {
    const { category, shop } = await canteen();
    await program(t, discountBody({ merchantCategories: [category], eligibility: {}, amount: '2.00', minSpend: '0' }));
    const person = await withCash(await personAged(t, 30));
    expect((await approvedPayment(t.http, shop.key, person.card.uid, '3.00')).funding).toEqual([{ wallet: 'cash', amount: '3.00' }]);
  });
});

describe('with allowances and refunds', () => {
  needsDisbursement('funding order: the discount, then the allowance lot of the category, then cash', async () => {
    const { category, shop } = await canteen();
    const tag = slug();
    const d = await program(t, discountBody({ merchantCategories: [category], eligibility: { tags: [tag] }, amount: '3.00', minSpend: '10.00' }), '30.00');
    const a = await program(t, allowanceBody({ merchantCategories: [category], eligibility: { tags: [tag] }, amount: '10.00' }), '10.00');
    const person = await withCash(await personAged(t, 70, [tag]), '20.00');
    await disburseOk(t.http, a.id, '2026-11');
    const paid = await approvedPayment(t.http, shop.key, person.card.uid, '25.00');
    expect(paid.funding).toEqual([
      { wallet: 'discount', programId: d.id, amount: '3.00' },
      { wallet: 'subsidy', programId: a.id, amount: '10.00' },
      { wallet: 'cash', amount: '12.00' },
    ]);
    expect(paid.balance).toEqual({ cash: '8.00', subsidy: '0.00' });
    // A whole refund: cash first, then the lot, then the discount back to its program.
    const back = await refund(t.http, shop.key, paid.id);
    expect(back.body.funding).toEqual([
      { wallet: 'cash', amount: '12.00' },
      { wallet: 'subsidy', programId: a.id, amount: '10.00' },
      { wallet: 'discount', programId: d.id, amount: '3.00' },
    ]);
    expect(await cashOf(t, person.residentId)).toBe('20.00');
    expect(await budgetOf(t, d.id)).toBe('30.00');
    expect(await reconciledReport(t, t.http, d.id)).toMatchObject({ discounted: '3.00', returned: '3.00' });
    expect(await reconciledReport(t, t.http, a.id)).toMatchObject({ disbursed: '10.00', spent: '0.00', budget: '0.00' });
  });

  test('a partial refund of a discounted meal gives the resident back what they paid first', async () => {
    const { category, shop } = await canteen();
    const p = await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '2.00', minSpend: '15.00' }), '10.00');
    const person = await withCash(await personAged(t, 75), '20.00');
    const paid = await approvedPayment(t.http, shop.key, person.card.uid, '15.00');
    expect((await refund(t.http, shop.key, paid.id, { amount: '14.00' })).body.funding).toEqual([
      { wallet: 'cash', amount: '13.00' },
      { wallet: 'discount', programId: p.id, amount: '1.00' },
    ]);
    expect(await cashOf(t, person.residentId)).toBe('20.00');
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ discounted: '2.00', returned: '1.00', budget: '9.00' });
  });

  test('the statement line of a discounted payment names the merchant', async () => {
    const { category, shop } = await canteen();
    await program(t, discountBody({ merchantCategories: [category], eligibility: { minAge: 60 }, amount: '2.00', minSpend: '15.00' }), '10.00');
    const person = await withCash(await personAged(t, 75), '20.00');
    await approvedPayment(t.http, shop.key, person.card.uid, '15.00');
    const [line] = await statementOf(t.http, person.card.id);
    expect(line).toMatchObject({ kind: 'payment', amount: '-13.00', wallet: 'cash', merchantId: shop.merchant.id });
  });
});
