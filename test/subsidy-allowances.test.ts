import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { programAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { cashOf, moneyState, owedTo, pay, statementOf, terminal, topUp, verify, type Terminal } from './support/money';
import { cardUid, expectError, idNumber, registerResident } from './support/residents';
import { UUID } from './support/shapes';
import {
  allowanceBody,
  birthDateFor,
  budgetOf,
  cardBalance,
  disburse,
  disburseOk,
  fundOk,
  lotsOf,
  personAged,
  personBorn,
  program,
  reconciledReport,
  slug,
  stopScheduledSweeps,
  subsidyState,
  treasury,
  type Person,
  needsDisbursement,
} from './support/subsidies';

/**
 * 补贴发放: allowance programs credit a lot to every eligible resident holding an active
 * card, once per period, restricted to the program's merchant categories.
 * (Expiry, sweeps, refunds after expiry and closing cards: subsidy-expiry.test.ts.)
 */
let t: TestApp;
let canteen: Terminal;
let grocery: Terminal;
let pharmacy: Terminal;

beforeAll(async () => {
  t = await startTestApp();
  await stopScheduledSweeps(t);
  canteen = await terminal(t, 'canteen');
  grocery = await terminal(t, 'grocery');
  pharmacy = await terminal(t, 'pharmacy');
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const DAY = 86_400_000;
const ids = (people: Person[]) => people.map((p) => p.residentId).sort();

describe('POST /v1/subsidy-programs/:id/disbursements', () => {
  needsDisbursement('201 {id, programId, period, recipients, total, expiresAt}: a lot of `amount` for every eligible resident with an active card, in one ledger transaction', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ name: '十一月助餐', eligibility: { tags: [tag] }, amount: '100.00', validDays: 30 }), '1000.00');
    const eligible = [await personAged(t, 70, [tag]), await personAged(t, 30, [tag]), await personAged(t, 88, [tag, 'dibao'])];
    // Eligible by tag, but no active card: locked, closed, or none at all.
    const locked = await personAged(t, 70, [tag]);
    expect((await t.http.post(`/v1/cards/${locked.card.id}/lock`).set(admin).send({ reason: 'lost' })).status).toBe(200);
    const closed = await personAged(t, 70, [tag]);
    expect((await t.http.post(`/v1/cards/${closed.card.id}/close`).set(admin).set('Idempotency-Key', randomUUID()).send({})).status).toBe(200);
    await registerResident(t, { idNumber: idNumber({ birth: birthDateFor(70, -100).replaceAll('-', '') }), birthDate: birthDateFor(70, -100), tags: [tag] });
    // A replaced card: the new card is active, so its holder gets one lot.
    const replaced = await personAged(t, 70, [tag]);
    const next = await t.http.post(`/v1/cards/${replaced.card.id}/replace`).set(admin).send({ uid: cardUid(), reason: 'damaged' });
    expect(next.status).toBe(201);
    eligible.push(replaced);
    // Not eligible: one of the listed tags missing.
    await personAged(t, 70, ['dibao']);
    await personAged(t, 70, []);

    const treasuryBefore = await treasury(t);
    const before = Date.now();
    const res = await disburse(t.http, p.id, { period: '2026-11' });
    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID), programId: p.id, period: '2026-11', recipients: 4, total: '400.00', expiresAt: expect.any(String) });
    const expiresAt = new Date(res.body.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 30 * DAY + 1000);

    const lots = await lotsOf(t, { program_id: p.id });
    expect(lots.map((l) => l.resident_id).sort()).toEqual(ids(eligible));
    for (const l of lots) {
      expect(l).toMatchObject({ disbursement_id: res.body.id, balance: '100.00' });
      expect(l.expires_at.toISOString()).toBe(new Date(expiresAt).toISOString());
    }
    expect(await budgetOf(t, p.id)).toBe('600.00');
    expect(await treasury(t)).toBe(treasuryBefore);
    const row = await t.knex('subsidy_disbursements').where({ id: res.body.id }).first('transaction_id');
    const postings = await t.knex('ledger_entries as e').join('ledger_transactions as x', 'x.id', 'e.transaction_id').where('x.id', row.transaction_id).select('e.account_id', 'e.amount', 'x.kind');
    expect(postings.sort((a, b) => a.account_id.localeCompare(b.account_id))).toEqual(
      [{ account_id: programAccountId(p.id), amount: '-400.00', kind: 'disbursement' }, ...lots.map((l) => ({ account_id: l.account_id, amount: '100.00', kind: 'disbursement' }))].sort((a, b) =>
        a.account_id.localeCompare(b.account_id),
      ),
    );

    // The resident sees the lot: balance and statement (through the new card too).
    const want = { cash: '0.00', subsidies: [{ programId: p.id, name: '十一月助餐', balance: '100.00', expiresAt: res.body.expiresAt }], total: '100.00' };
    expect(await cardBalance(t.http, eligible[0].card.id)).toEqual(want);
    expect(await cardBalance(t.http, next.body.id)).toEqual(want);
    expect(await cardBalance(t.http, locked.card.id)).toEqual({ cash: '0.00', subsidies: [], total: '0.00' });
    const [line] = await statementOf(t.http, eligible[0].card.id);
    expect(line).toMatchObject({ id: row.transaction_id, kind: 'disbursement', amount: '100.00', wallet: 'subsidy', programId: p.id });

    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ budget: '600.00', funded: '1000.00', disbursed: '400.00', recipients: 4, spent: '0.00', returned: '0.00' });
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });

  needsDisbursement('once per program and period: the same key replays; another key 409 period_already_disbursed and nothing moves; another period is its own', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '30.00' }), '1000.00');
    const person = await personAged(t, 66, [tag]);
    const idem = randomUUID();
    const first = await disburse(t.http, p.id, { period: '2026-10' }, { idem });
    expect(first.status).toBe(201);
    const before = await subsidyState(t);
    const replay = await disburse(t.http, p.id, { period: '2026-10' }, { idem });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectError(await disburse(t.http, p.id, { period: '2026-11' }, { idem }), 422, 'idempotency_key_reused');
    const again = await disburse(t.http, p.id, { period: '2026-10' });
    expectError(again, 409, 'period_already_disbursed');
    expect({ ...(await subsidyState(t)), idempotencyKeys: undefined }).toEqual({ ...before, idempotencyKeys: undefined });

    const november = await disburseOk(t.http, p.id, '2026-11');
    expect(november).toMatchObject({ period: '2026-11', recipients: 1, total: '30.00' });
    expect(november.id).not.toBe(first.body.id);
    expect((await lotsOf(t, { resident_id: person.residentId })).map((l) => l.balance)).toEqual(['30.00', '30.00']);
    expect((await cardBalance(t.http, person.card.id)).total).toBe('60.00');
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ disbursed: '60.00', recipients: 2, budget: '940.00' });
  });

  needsDisbursement('a budget smaller than the total: 409 insufficient_program_funds, nobody is credited; funded, the period can still be disbursed', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '100.00' }), '299.99');
    const people = [await personAged(t, 61, [tag]), await personAged(t, 62, [tag]), await personAged(t, 63, [tag])];
    const before = await subsidyState(t);
    const idem = randomUUID();
    const refused = await disburse(t.http, p.id, { period: '2026-11' }, { idem });
    expectError(refused, 409, 'insufficient_program_funds');
    expect({ ...(await subsidyState(t)), idempotencyKeys: undefined }).toEqual({ ...before, idempotencyKeys: undefined });
    expect(await budgetOf(t, p.id)).toBe('299.99');
    // The refusal is the answer to that key.
    const replay = await disburse(t.http, p.id, { period: '2026-11' }, { idem });
    expect({ status: replay.status, body: replay.body, replayed: replay.headers['idempotent-replayed'] }).toEqual({ status: 409, body: refused.body, replayed: 'true' });

    await fundOk(t.http, p.id, '0.01'); // exactly the total now
    expect(await disburseOk(t.http, p.id, '2026-11')).toMatchObject({ recipients: 3, total: '300.00' });
    expect(await budgetOf(t, p.id)).toBe('0.00');
    for (const person of people) expect((await cardBalance(t.http, person.card.id)).total).toBe('100.00');
    expectError(await disburse(t.http, p.id, { period: '2026-12' }), 409, 'insufficient_program_funds');
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ funded: '300.00', disbursed: '300.00', budget: '0.00', recipients: 3 });
  });

  test('nobody eligible: 201 with recipients 0 and total "0.00", nothing moves, and the period is done', async () => {
    const p = await program(t, allowanceBody({ eligibility: { tags: [slug()] } }), '100.00');
    const before = await moneyState(t);
    expect(await disburseOk(t.http, p.id, '2026-11')).toMatchObject({ recipients: 0, total: '0.00' });
    expect(await moneyState(t)).toEqual(before);
    expectError(await disburse(t.http, p.id, { period: '2026-11' }), 409, 'period_already_disbursed');
  });
});

describe('eligibility: age on the Shanghai day, and every listed tag', () => {
  needsDisbursement('the day before and on the 60th and 80th birthdays', async () => {
    const tag = slug();
    const dayBefore60 = await personBorn(t, birthDateFor(60, 1), [tag]); // 59 today, 60 tomorrow
    const on60 = await personBorn(t, birthDateFor(60, 0), [tag]);
    const dayBefore80 = await personBorn(t, birthDateFor(80, 1), [tag]); // 79 today
    const on80 = await personBorn(t, birthDateFor(80, 0), [tag]);
    const dayAfter80 = await personBorn(t, birthDateFor(80, -1), [tag]);
    const sixtyToSeventyNine = await program(t, allowanceBody({ eligibility: { minAge: 60, maxAge: 79, tags: [tag] }, amount: '10.00' }), '100.00');
    const eightyAndOver = await program(t, allowanceBody({ eligibility: { minAge: 80, tags: [tag] }, amount: '20.00' }), '100.00');
    const underSixty = await program(t, allowanceBody({ eligibility: { maxAge: 59, tags: [tag] }, amount: '5.00' }), '100.00');

    expect(await disburseOk(t.http, sixtyToSeventyNine.id, '2026-11')).toMatchObject({ recipients: 2, total: '20.00' });
    expect((await lotsOf(t, { program_id: sixtyToSeventyNine.id })).map((l) => l.resident_id).sort()).toEqual(ids([on60, dayBefore80]));
    expect(await disburseOk(t.http, eightyAndOver.id, '2026-11')).toMatchObject({ recipients: 2, total: '40.00' });
    expect((await lotsOf(t, { program_id: eightyAndOver.id })).map((l) => l.resident_id).sort()).toEqual(ids([on80, dayAfter80]));
    expect(await disburseOk(t.http, underSixty.id, '2026-11')).toMatchObject({ recipients: 1, total: '5.00' });
    expect((await lotsOf(t, { program_id: underSixty.id })).map((l) => l.resident_id)).toEqual([dayBefore60.residentId]);
  });

  needsDisbursement('all listed tags must be present; extra tags do not matter', async () => {
    const [a, b] = [slug(), slug()];
    const both = await personAged(t, 70, [a, b]);
    const bothAndMore = await personAged(t, 70, ['disabled', b, a]);
    await personAged(t, 70, [a]);
    await personAged(t, 70, [b]);
    const p = await program(t, allowanceBody({ eligibility: { tags: [a, b] }, amount: '1.00' }), '10.00');
    expect(await disburseOk(t.http, p.id, '2026-11')).toMatchObject({ recipients: 2, total: '2.00' });
    expect((await lotsOf(t, { program_id: p.id })).map((l) => l.resident_id).sort()).toEqual(ids([both, bothAndMore]));
  });

  needsDisbursement('a tag given to a resident later (PATCH) counts at the next disbursement', async () => {
    const tag = slug();
    const p = await program(t, allowanceBody({ eligibility: { tags: [tag] }, amount: '8.00' }), '100.00');
    const person = await personAged(t, 70, ['dibao']);
    expect(await disburseOk(t.http, p.id, '2026-10')).toMatchObject({ recipients: 0 });
    expect((await t.http.patch(`/v1/residents/${person.residentId}`).set(admin).send({ tags: ['dibao', tag] })).status).toBe(200);
    expect(await disburseOk(t.http, p.id, '2026-11')).toMatchObject({ recipients: 1, total: '8.00' });
  });
});

describe('spending allowance money', () => {
  async function allowance(categories: string[], amount: string, validDays = 30): Promise<{ programId: string; tag: string }> {
    const tag = slug();
    const p = await program(t, allowanceBody({ merchantCategories: categories, eligibility: { tags: [tag] }, amount, validDays }), amount);
    return { programId: p.id, tag };
  }

  needsDisbursement('only at the program’s categories: a canteen-only allowance is not money at a grocery', async () => {
    const a = await allowance(['canteen'], '100.00');
    const person = await personAged(t, 70, [a.tag]);
    await disburseOk(t.http, a.programId, '2026-11');
    await topUp(t.http, { cardId: person.card.id, amount: '20.00', method: 'cash' });

    const owed = await owedTo(t, canteen.merchant.id);
    const before = await moneyState(t);
    const refused = await pay(t.http, grocery.key, { uid: person.card.uid, amount: '30.00' });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe('insufficient_funds');
    expect({ ...(await moneyState(t)), payments: undefined }).toEqual({ ...before, payments: undefined });

    const atGrocery = await pay(t.http, grocery.key, { uid: person.card.uid, amount: '15.00' });
    expect(atGrocery.status).toBe(201);
    expect(atGrocery.body).toMatchObject({ funding: [{ wallet: 'cash', amount: '15.00' }], balance: { cash: '5.00', subsidy: '100.00' } });
    const atCanteen = await pay(t.http, canteen.key, { uid: person.card.uid, amount: '30.00' });
    expect(atCanteen.status).toBe(201);
    expect(atCanteen.body).toMatchObject({ funding: [{ wallet: 'subsidy', programId: a.programId, amount: '30.00' }], balance: { cash: '5.00', subsidy: '70.00' } });
    expect(await cashOf(t, person.residentId)).toBe('5.00');
    expect((await lotsOf(t, { resident_id: person.residentId }))[0].balance).toBe('70.00');
    // The merchant is owed the whole price whatever paid it.
    expect(await owedTo(t, canteen.merchant.id)).toBe(new Decimal(owed).plus(30).toFixed(2));
  });

  needsDisbursement('a program of several categories pays at each of them, and at no other', async () => {
    const a = await allowance(['canteen', 'pharmacy'], '40.00');
    const person = await personAged(t, 70, [a.tag]);
    await disburseOk(t.http, a.programId, '2026-11');
    expect((await pay(t.http, pharmacy.key, { uid: person.card.uid, amount: '25.00' })).body.funding).toEqual([{ wallet: 'subsidy', programId: a.programId, amount: '25.00' }]);
    expect((await pay(t.http, canteen.key, { uid: person.card.uid, amount: '15.00' })).body.funding).toEqual([{ wallet: 'subsidy', programId: a.programId, amount: '15.00' }]);
    const grocer = await pay(t.http, grocery.key, { uid: person.card.uid, amount: '0.01' });
    expect(grocer.status).toBe(402);
  });

  needsDisbursement('funding order: lots of the merchant’s category, earliest expiry first, then cash; a payment is never partly paid', async () => {
    const late = await allowance(['canteen'], '50.00', 40);
    const early = await allowance(['canteen'], '30.00', 10);
    const elsewhere = await allowance(['pharmacy'], '70.00', 5);
    const tags = [late.tag, early.tag, elsewhere.tag];
    const person = await personAged(t, 70, tags);
    for (const a of [late, early, elsewhere]) await disburseOk(t.http, a.programId, '2026-11');
    await topUp(t.http, { cardId: person.card.id, amount: '25.00', method: 'cash' });

    const first = await pay(t.http, canteen.key, { uid: person.card.uid, amount: '60.00' });
    expect(first.body).toMatchObject({
      funding: [
        { wallet: 'subsidy', programId: early.programId, amount: '30.00' },
        { wallet: 'subsidy', programId: late.programId, amount: '30.00' },
      ],
      balance: { cash: '25.00', subsidy: '90.00' }, // 20 left of the late lot, 70 of the pharmacy lot
    });
    const second = await pay(t.http, canteen.key, { uid: person.card.uid, amount: '40.00' });
    expect(second.body).toMatchObject({
      funding: [
        { wallet: 'subsidy', programId: late.programId, amount: '20.00' },
        { wallet: 'cash', amount: '20.00' },
      ],
      balance: { cash: '5.00', subsidy: '70.00' },
    });
    // 5.00 of cash and 70.00 only good at a pharmacy: 5.01 at the canteen is declined and draws on nothing.
    const before = await moneyState(t);
    expect((await pay(t.http, canteen.key, { uid: person.card.uid, amount: '5.01' })).status).toBe(402);
    expect({ ...(await moneyState(t)), payments: undefined }).toEqual({ ...before, payments: undefined });
    const balance = await cardBalance(t.http, person.card.id);
    expect(balance).toEqual({ cash: '5.00', subsidies: [expect.objectContaining({ programId: elsewhere.programId, balance: '70.00' })], total: '75.00' });
    for (const a of [late, early]) expect(await reconciledReport(t, t.http, a.programId)).toMatchObject({ spent: a === late ? '50.00' : '30.00', budget: '0.00' });
  });

  needsDisbursement('the balance lists spendable lots by expiry with their program names; spent-out lots are not listed', async () => {
    const a = await allowance(['canteen'], '12.00', 20);
    const b = await allowance(['canteen'], '8.00', 3);
    const person = await personAged(t, 70, [a.tag, b.tag]);
    await disburseOk(t.http, a.programId, '2026-11');
    await disburseOk(t.http, b.programId, '2026-11');
    const balance = await cardBalance(t.http, person.card.id);
    expect(balance.subsidies.map((s) => [s.programId, s.balance])).toEqual([
      [b.programId, '8.00'],
      [a.programId, '12.00'],
    ]);
    expect(balance.subsidies[0].name).toBe('长者助餐补贴');
    expect(balance.total).toBe('20.00');
    await pay(t.http, canteen.key, { uid: person.card.uid, amount: '8.00' });
    expect(await cardBalance(t.http, person.card.id)).toEqual({ cash: '0.00', subsidies: [expect.objectContaining({ programId: a.programId, balance: '12.00' })], total: '12.00' });
  });

  needsDisbursement('balances belong to the resident: a replacement card spends the lot, the old card does not', async () => {
    const a = await allowance(['canteen'], '20.00');
    const person = await personAged(t, 70, [a.tag]);
    await disburseOk(t.http, a.programId, '2026-11');
    const next = await t.http.post(`/v1/cards/${person.card.id}/replace`).set(admin).send({ uid: cardUid(), reason: 'lost' });
    expect((await pay(t.http, canteen.key, { uid: person.card.uid, amount: '1.00' })).body.code).toBe('card_not_active');
    const res = await pay(t.http, canteen.key, { uid: next.body.uid, amount: '20.00' });
    expect(res.body).toMatchObject({ status: 'approved', funding: [{ wallet: 'subsidy', programId: a.programId, amount: '20.00' }], balance: { cash: '0.00', subsidy: '0.00' } });
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });
});
