import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/app-config';
import { programAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { approvedPayment, cashOf, moneyState, pay, refund, statementOf, terminal, topUp, verify, type Terminal } from './support/money';
import { expectError, ledgerBalance } from './support/residents';
import {
  allowanceBody,
  budgetOf,
  cardBalance,
  disburseOk,
  expireLots,
  lotsOf,
  personAged,
  program,
  reconciledReport,
  slug,
  stopScheduledSweeps,
  sweep,
  sweepOk,
  needsDisbursement,
} from './support/subsidies';

/**
 * Allowance money after the fact: it stops being spendable the instant it expires, the
 * sweep returns it to the program exactly once, refunds of expired money go to the
 * program, and closing a card returns what is left. Lots are made to expire by moving
 * their expires_at into the past in the database.
 */
let t: TestApp;
let canteen: Terminal;

beforeAll(async () => {
  t = await startTestApp();
  await stopScheduledSweeps(t);
  canteen = await terminal(t, 'canteen');
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);

/** A program of `amount` a head, funded for exactly `heads`, disbursed to `heads` new residents aged 70. */
async function disbursedTo(heads: number, amount: string, opts: { name?: string } = {}) {
  const tag = slug();
  const p = await program(t, allowanceBody({ name: opts.name ?? '长者助餐补贴', eligibility: { tags: [tag] }, amount }), (Number(amount) * heads).toFixed(2));
  const people = [];
  for (let i = 0; i < heads; i++) people.push(await personAged(t, 70, [tag]));
  const d = await disburseOk(t.http, p.id, '2026-11');
  return { program: p, people, disbursement: d, tag };
}

const expiryTransactions = (programId: string) => t.knex('ledger_transactions').where({ kind: 'subsidy_expiry' }).whereRaw(`metadata->>'programId' = ?`, [programId]).select('id');

describe('expiry', () => {
  needsDisbursement('spendable until the instant it expires, and not from that instant on: payments, balance', async () => {
    const { program: p, people } = await disbursedTo(1, '50.00');
    const [person] = people;
    await topUp(t.http, { cardId: person.card.id, amount: '10.00', method: 'cash' });
    // An hour to go: spendable.
    await t.knex('subsidy_wallets').where({ program_id: p.id }).update({ expires_at: t.knex.raw(`now() + interval '1 hour'`) });
    expect((await approvedPayment(t.http, canteen.key, person.card.uid, '5.00')).funding).toEqual([{ wallet: 'subsidy', programId: p.id, amount: '5.00' }]);
    expect((await cardBalance(t.http, person.card.id)).total).toBe('55.00');

    // Expiring at exactly the database's present instant: every later request sees it expired.
    await expireLots(t, { program_id: p.id }, "interval '0 seconds'");
    const before = await moneyState(t);
    const res = await pay(t.http, canteen.key, { uid: person.card.uid, amount: '10.01' });
    expect(res.status).toBe(402);
    expect({ ...(await moneyState(t)), payments: undefined }).toEqual({ ...before, payments: undefined });
    const cashOnly = await approvedPayment(t.http, canteen.key, person.card.uid, '4.00');
    expect(cashOnly.funding).toEqual([{ wallet: 'cash', amount: '4.00' }]);
    expect(cashOnly.balance).toEqual({ cash: '6.00', subsidy: '0.00' });
    expect(await cardBalance(t.http, person.card.id)).toEqual({ cash: '6.00', subsidies: [], total: '6.00' });
    // Not yet swept: the money is still in the lot, just not the resident's to spend.
    expect((await lotsOf(t, { program_id: p.id }))[0].balance).toBe('45.00');
  });

  needsDisbursement('the sweep returns expired money to the budget through the ledger, exactly once; unexpired lots stay', async () => {
    const { program: p, people } = await disbursedTo(3, '100.00');
    await approvedPayment(t.http, canteen.key, people[0].card.uid, '30.00');
    await expireLots(t, { program_id: p.id, resident_id: people[0].residentId });
    await expireLots(t, { program_id: p.id, resident_id: people[1].residentId });
    expect(await budgetOf(t, p.id)).toBe('0.00');

    expect(await sweepOk(t.http, p.id)).toEqual({ programId: p.id, wallets: 2, amount: '170.00' });
    expect(await budgetOf(t, p.id)).toBe('170.00');
    const lots = await lotsOf(t, { program_id: p.id });
    expect(Object.fromEntries(lots.map((l) => [l.resident_id, l.balance]))).toEqual({ [people[0].residentId]: '0.00', [people[1].residentId]: '0.00', [people[2].residentId]: '100.00' });
    const [swept] = await expiryTransactions(p.id);
    const postings = await t.knex('ledger_entries').where({ transaction_id: swept.id }).select('account_id', 'amount');
    expect(postings.sort((a, b) => a.account_id.localeCompare(b.account_id))).toEqual(
      [
        { account_id: programAccountId(p.id), amount: '170.00' },
        { account_id: lots.find((l) => l.resident_id === people[0].residentId)!.account_id, amount: '-70.00' },
        { account_id: lots.find((l) => l.resident_id === people[1].residentId)!.account_id, amount: '-100.00' },
      ].sort((a, b) => a.account_id.localeCompare(b.account_id)),
    );

    // Twice: nothing more moves.
    const before = await moneyState(t);
    expect(await sweepOk(t.http, p.id)).toEqual({ programId: p.id, wallets: 0, amount: '0.00' });
    expect(await moneyState(t)).toEqual(before);
    expect(await expiryTransactions(p.id)).toHaveLength(1);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ funded: '300.00', disbursed: '300.00', spent: '30.00', returned: '170.00', budget: '170.00' });
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });

  needsDisbursement('swept money can be disbursed again', async () => {
    const { program: p, people } = await disbursedTo(2, '25.00');
    await expireLots(t, { program_id: p.id });
    await sweepOk(t.http, p.id);
    expect(await disburseOk(t.http, p.id, '2026-12')).toMatchObject({ recipients: 2, total: '50.00' });
    for (const person of people) expect((await cardBalance(t.http, person.card.id)).total).toBe('25.00');
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ disbursed: '100.00', returned: '50.00', budget: '0.00' });
  });

  needsDisbursement('the sweeps endpoint: unknown program 404, not a UUID 400, non-admins 403, a body 400', async () => {
    const { program: p } = await disbursedTo(1, '1.00');
    expectError(await sweep(t.http, randomUUID()), 404, 'program_not_found');
    expectError(await sweep(t.http, 'x'), 400, 'validation_failed');
    for (const role of ['operator', 'auditor', 'merchant'] as const) expectError(await sweep(t.http, p.id, (await apiKey(t, role)).key), 403, 'forbidden');
    expectError(await t.http.post(`/v1/subsidy-programs/${p.id}/sweeps`).set(admin).send({ all: true }), 400, 'validation_failed');
  });
});

describe('refunds of allowance money', () => {
  needsDisbursement('before expiry: cash first, then back into the lot it came from', async () => {
    const { program: p, people } = await disbursedTo(1, '100.00');
    const [person] = people;
    await topUp(t.http, { cardId: person.card.id, amount: '50.00', method: 'cash' });
    const paid = await approvedPayment(t.http, canteen.key, person.card.uid, '120.00');
    expect(paid.funding).toEqual([{ wallet: 'subsidy', programId: p.id, amount: '100.00' }, { wallet: 'cash', amount: '20.00' }]);
    expect((await refund(t.http, canteen.key, paid.id, { amount: '25.00' })).body.funding).toEqual([
      { wallet: 'cash', amount: '20.00' },
      { wallet: 'subsidy', programId: p.id, amount: '5.00' },
    ]);
    expect(await cashOf(t, person.residentId)).toBe('50.00');
    expect(await cardBalance(t.http, person.card.id)).toMatchObject({ subsidies: [expect.objectContaining({ programId: p.id, balance: '5.00' })], total: '55.00' });
  });

  needsDisbursement('after expiry: the subsidy part goes to the program (returnedToProgram: true); the sweep then has nothing to move', async () => {
    const { program: p, people } = await disbursedTo(1, '100.00');
    const [person] = people;
    await topUp(t.http, { cardId: person.card.id, amount: '50.00', method: 'cash' });
    const paid = await approvedPayment(t.http, canteen.key, person.card.uid, '120.00');
    expect((await refund(t.http, canteen.key, paid.id, { amount: '10.00' })).body.funding).toEqual([{ wallet: 'cash', amount: '10.00' }]);
    await expireLots(t, { program_id: p.id });
    const res = await refund(t.http, canteen.key, paid.id);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      paymentId: paid.id,
      amount: '110.00',
      funding: [
        { wallet: 'cash', amount: '10.00' },
        { wallet: 'subsidy', programId: p.id, amount: '100.00', returnedToProgram: true },
      ],
    });
    expect(await cashOf(t, person.residentId)).toBe('50.00');
    expect((await lotsOf(t, { program_id: p.id }))[0].balance).toBe('0.00');
    expect(await budgetOf(t, p.id)).toBe('100.00');
    expect(await sweepOk(t.http, p.id)).toMatchObject({ wallets: 0, amount: '0.00' });
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ disbursed: '100.00', spent: '100.00', returned: '100.00', budget: '100.00' });
    expect((await t.http.get(`/v1/payments/${paid.id}`).set(admin)).body.refunded).toBe('120.00');
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });

  needsDisbursement('refunded into a lot that then expires: the sweep takes the refund back too, once', async () => {
    const { program: p, people } = await disbursedTo(1, '40.00');
    const paid = await approvedPayment(t.http, canteen.key, people[0].card.uid, '40.00');
    await refund(t.http, canteen.key, paid.id, { amount: '15.00' });
    await expireLots(t, { program_id: p.id });
    expect(await sweepOk(t.http, p.id)).toMatchObject({ wallets: 1, amount: '15.00' });
    expect(await sweepOk(t.http, p.id)).toMatchObject({ wallets: 0, amount: '0.00' });
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ disbursed: '40.00', spent: '25.00', returned: '15.00', budget: '15.00' });
  });
});

describe('closing a card', () => {
  const close = (cardId: string) => t.http.post(`/v1/cards/${cardId}/close`).set(admin).set('Idempotency-Key', randomUUID()).send({});

  needsDisbursement('returns unspent allowance money to its programs: {card, refunded, subsidiesReturned}', async () => {
    const one = await disbursedTo(1, '100.00', { name: '一' });
    const tag2 = slug();
    const two = await program(t, allowanceBody({ name: '二', eligibility: { tags: [tag2] }, amount: '50.00' }), '50.00');
    const [person] = one.people;
    expect((await t.http.patch(`/v1/residents/${person.residentId}`).set(admin).send({ tags: [one.tag, tag2] })).status).toBe(200);
    await disburseOk(t.http, two.id, '2026-11');
    await topUp(t.http, { cardId: person.card.id, amount: '12.50', method: 'cash' });
    await approvedPayment(t.http, canteen.key, person.card.uid, '30.00'); // from lot one (or two): whichever expires first
    const spentFrom = (await lotsOf(t, { resident_id: person.residentId })).map((l) => [l.program_id, l.balance]);

    const res = await close(person.card.id);
    expect(res.status).toBe(200);
    expect(res.body.card).toMatchObject({ id: person.card.id, status: 'closed' });
    expect(res.body.refunded).toBe('12.50');
    expect([...res.body.subsidiesReturned].sort((a: { programId: string }, b: { programId: string }) => a.programId.localeCompare(b.programId))).toEqual(
      spentFrom.map(([programId, amount]) => ({ programId, amount })).sort((a, b) => a.programId.localeCompare(b.programId)),
    );
    for (const l of await lotsOf(t, { resident_id: person.residentId })) expect(l.balance).toBe('0.00');
    expect(await ledgerBalance(t, `cash:${person.residentId}`)).toBe('0.00');
    const r1 = await reconciledReport(t, t.http, one.program.id);
    const r2 = await reconciledReport(t, t.http, two.id);
    expect(r1.budget).toBe(spentFrom.find(([id]) => id === one.program.id)![1]);
    expect(r2.budget).toBe(spentFrom.find(([id]) => id === two.id)![1]);
    expect(r1.returned).toBe(r1.budget);
    // Later: an expired lot of a closed card has nothing left to sweep, and the resident gets nothing more.
    await expireLots(t, { resident_id: person.residentId });
    expect(await sweepOk(t.http, one.program.id)).toMatchObject({ wallets: 0, amount: '0.00' });
    expect(await disburseOk(t.http, one.program.id, '2026-12')).toMatchObject({ recipients: 0 });
    expect(await verify(t.http)).toMatchObject({ ok: true, problems: [] });
  });

  test('the statement shows returned allowance money going to its program, not to the cash desk', async () => {
    const { program: p, people } = await disbursedTo(1, '10.00');
    await topUp(t.http, { cardId: people[0].card.id, amount: '5.00', method: 'cash' });
    expect((await close(people[0].card.id)).status).toBe(200);
    const lines = (await statementOf(t.http, people[0].card.id)).filter((l) => l.kind === 'card_close_refund');
    expect(lines.map((l) => ({ wallet: l.wallet, amount: l.amount, programId: (l as { programId?: string }).programId }))).toEqual(
      expect.arrayContaining([{ wallet: 'subsidy', amount: '-10.00', programId: p.id }]),
    );
  });

  needsDisbursement('a lot that expired but was not swept yet goes back to its program once, by the close or the sweep', async () => {
    const { program: p, people } = await disbursedTo(1, '60.00');
    await expireLots(t, { program_id: p.id });
    const res = await close(people[0].card.id);
    expect(res.status).toBe(200);
    const byClose = (res.body.subsidiesReturned as { programId: string; amount: string }[]).filter((s) => s.programId === p.id).map((s) => Number(s.amount));
    const bySweep = Number((await sweepOk(t.http, p.id)).amount);
    expect(byClose.reduce((a, b) => a + b, 0) + bySweep).toBe(60);
    expect(await reconciledReport(t, t.http, p.id)).toMatchObject({ returned: '60.00', budget: '60.00' });
  });
});

describe('the scheduled sweep', () => {
  test('SUBSIDY_SWEEP_INTERVAL_MS: default 60000, at least 1000', () => {
    expect(loadConfig({}).subsidySweepIntervalMs).toBe(60000);
    expect(loadConfig({ SUBSIDY_SWEEP_INTERVAL_MS: '1000' }).subsidySweepIntervalMs).toBe(1000);
    expect(() => loadConfig({ SUBSIDY_SWEEP_INTERVAL_MS: '999' })).toThrow(/SUBSIDY_SWEEP_INTERVAL_MS/);
    expect(() => loadConfig({ SUBSIDY_SWEEP_INTERVAL_MS: 'soon' })).toThrow(/SUBSIDY_SWEEP_INTERVAL_MS/);
  });

  needsDisbursement('returns expired money without being asked, once', async () => {
    const own = await startTestApp({ config: { subsidySweepIntervalMs: 1000 } });
    try {
      const tag = slug();
      const create = await own.http.post('/v1/subsidy-programs').set(admin).send(allowanceBody({ eligibility: { tags: [tag] }, amount: '33.00' }));
      const p = create.body;
      await own.http.post(`/v1/subsidy-programs/${p.id}/funding`).set(admin).set('Idempotency-Key', randomUUID()).send({ amount: '66.00' });
      const person = await personAged(own, 70, [tag]);
      await personAged(own, 71, [tag]);
      expect((await own.http.post(`/v1/subsidy-programs/${p.id}/disbursements`).set(admin).set('Idempotency-Key', randomUUID()).send({ period: '2026-11' })).status).toBe(201);
      await own.knex('subsidy_wallets').where({ program_id: p.id, resident_id: person.residentId }).update({ expires_at: own.knex.raw(`now() - interval '1 second'`) });
      // Wait (polling, not timing) until a sweep has run on its own.
      while ((await ledgerBalance(own, programAccountId(p.id))) === '0.00') await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 2500)); // at least two more rounds
      expect(await ledgerBalance(own, programAccountId(p.id))).toBe('33.00');
      const swept = await own.knex('ledger_transactions').where({ kind: 'subsidy_expiry' }).whereRaw(`metadata->>'programId' = ?`, [p.id]).count<{ n: string }[]>('* as n');
      expect(Number(swept[0].n)).toBe(1);
      expect(await reconciledReport(own, own.http, p.id)).toMatchObject({ returned: '33.00', budget: '33.00' });
    } finally {
      await own.close();
    }
  });
});
