import { randomBytes, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type TestAgent from 'supertest/lib/agent';
import { programAccountId, TREASURY } from '../../src/ledger/accounts';
import { ExpirySweeperService } from '../../src/subsidies/expiry-sweeper.service';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';
import { moneyState } from './money';
import { idNumber, issueCard, ledgerBalance, registerResident, type CardView } from './residents';

/**
 * Shared setup and calls for the subsidy tests: programs, their funding, disbursements,
 * sweeps and reports through the HTTP API, residents of a given age on the Shanghai
 * day, and the checks that a program reconciles with the ledger.
 *
 * Eligibility and discounts are global (every resident, every merchant of a category),
 * so each test isolates itself with a tag or a category of its own (`slug()`).
 */

const admin = bearer(TEST_ADMIN_KEY);

/** A fresh lower-case slug (tag or merchant category) nobody else in the database uses. */
export function slug(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

const SHANGHAI = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/** Today in Asia/Shanghai, YYYY-MM-DD. */
export function shanghaiToday(at = new Date()): string {
  return SHANGHAI.format(at);
}

/** This month in Asia/Shanghai, YYYY-MM. */
export function shanghaiMonth(at = new Date()): string {
  return shanghaiToday(at).slice(0, 7);
}

/**
 * The birth date of someone whose `years`th birthday is `shiftDays` days from the
 * Shanghai today: shiftDays 0 means today is the birthday (they are `years` today),
 * 1 means tomorrow (still `years - 1`).
 */
export function birthDateFor(years: number, shiftDays = 0): string {
  const [y, m, d] = shanghaiToday().split('-').map(Number);
  return new Date(Date.UTC(y - years, m - 1, d + shiftDays)).toISOString().slice(0, 10);
}

export interface Person {
  residentId: string;
  birthDate: string;
  card: CardView;
}

/** A resident born on `birthDate` (ID number encoding it) with the given tags, holding an active card. */
export async function personBorn(t: TestApp, birthDate: string, tags: string[] = []): Promise<Person> {
  const r = await registerResident(t, { idNumber: idNumber({ birth: birthDate.replaceAll('-', '') }), birthDate, tags });
  const card = await issueCard(t, r.id);
  return { residentId: r.id, birthDate, card };
}

/** A resident `years` old today (Shanghai), birthday well away from today, holding an active card. */
export function personAged(t: TestApp, years: number, tags: string[] = []): Promise<Person> {
  return personBorn(t, birthDateFor(years, -100), tags);
}

type Body = Record<string, unknown>;

/** A valid allowance program body: 100.00 a period, canteen only, 30 days. */
export function allowanceBody(overrides: Body = {}): Body {
  return { name: '长者助餐补贴', kind: 'allowance', merchantCategories: ['canteen'], eligibility: {}, amount: '100.00', validDays: 30, ...overrides };
}

/** A valid discount program body: 2.00 off a canteen meal of at least 15.00. */
export function discountBody(overrides: Body = {}): Body {
  return { name: '老年助餐优惠', kind: 'discount', merchantCategories: ['canteen'], eligibility: {}, amount: '2.00', minSpend: '15.00', ...overrides };
}

export function createProgram(http: TestAgent, body: Body, key = TEST_ADMIN_KEY) {
  return http.post('/v1/subsidy-programs').set(bearer(key)).send(body);
}

export interface ProgramView {
  id: string;
  name: string;
  kind: 'allowance' | 'discount';
  merchantCategories: string[];
  eligibility: { minAge?: number; maxAge?: number; tags: string[] };
  amount: string;
  validDays?: number;
  minSpend?: string;
  dailyLimit?: number;
  createdAt: string;
}

/** Creates a program (201 or a thrown error) and, if `budget` is given, funds it from the treasury. */
export async function program(t: TestApp, body: Body, budget?: string): Promise<ProgramView> {
  const res = await createProgram(t.http, body);
  if (res.status !== 201) throw new Error(`creating a program failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (budget) await fundOk(t.http, res.body.id, budget);
  return res.body;
}

export function fund(http: TestAgent, programId: string, body: Body, opts: { idem?: string | null; key?: string } = {}) {
  const req = http.post(`/v1/subsidy-programs/${programId}/funding`).set(bearer(opts.key ?? TEST_ADMIN_KEY));
  if (opts.idem !== null) req.set('Idempotency-Key', opts.idem ?? randomUUID());
  return req.send(body);
}

export async function fundOk(http: TestAgent, programId: string, amount: string) {
  const res = await fund(http, programId, { amount });
  if (res.status !== 201) throw new Error(`funding a program failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; programId: string; amount: string; budget: string };
}

export function disburse(http: TestAgent, programId: string, body: Body, opts: { idem?: string | null; key?: string } = {}) {
  const req = http.post(`/v1/subsidy-programs/${programId}/disbursements`).set(bearer(opts.key ?? TEST_ADMIN_KEY));
  if (opts.idem !== null) req.set('Idempotency-Key', opts.idem ?? randomUUID());
  return req.send(body);
}

export interface Disbursed {
  id: string;
  programId: string;
  period: string;
  recipients: number;
  total: string;
  expiresAt: string;
}

export async function disburseOk(http: TestAgent, programId: string, period: string): Promise<Disbursed> {
  const res = await disburse(http, programId, { period });
  if (res.status !== 201) throw new Error(`disbursing failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function sweep(http: TestAgent, programId: string, key = TEST_ADMIN_KEY) {
  return http.post(`/v1/subsidy-programs/${programId}/sweeps`).set(bearer(key)).send();
}

export async function sweepOk(http: TestAgent, programId: string): Promise<{ programId: string; wallets: number; amount: string }> {
  const res = await sweep(http, programId);
  if (res.status !== 200 && res.status !== 201) throw new Error(`sweeping failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface ProgramReport extends ProgramView {
  period: string | null;
  budget: string;
  funded: string;
  disbursed: string;
  spent: string;
  discounted: string;
  returned: string;
  recipients: number;
}

export async function report(http: TestAgent, programId: string, period?: string, key = TEST_ADMIN_KEY): Promise<ProgramReport> {
  const res = await http.get(`/v1/subsidy-programs/${programId}`).query(period ? { period } : {}).set(bearer(key));
  if (res.status !== 200) throw new Error(`reading a program report failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The report of a program, checked against the ledger: budget = funded − disbursed −
 * discounted + returned, and the budget is the program account's ledger balance.
 */
export async function reconciledReport(t: TestApp, http: TestAgent, programId: string): Promise<ProgramReport> {
  const r = await report(http, programId);
  expect(r.budget).toBe(await ledgerBalance(t, programAccountId(programId)));
  expect(new Decimal(r.funded).minus(r.disbursed).minus(r.discounted).plus(r.returned).toFixed(2)).toBe(r.budget);
  return r;
}

export interface CardBalance {
  cash: string;
  subsidies: { programId: string; name: string; balance: string; expiresAt: string }[];
  total: string;
}

export async function cardBalance(http: TestAgent, cardId: string): Promise<CardBalance> {
  const res = await http.get(`/v1/cards/${cardId}/balance`).set(admin);
  if (res.status !== 200) throw new Error(`reading a balance failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The budget of a program straight from the ledger. */
export const budgetOf = (t: TestApp, programId: string) => ledgerBalance(t, programAccountId(programId));

/** What the treasury has given out, straight from the ledger (it goes negative). */
export const treasury = (t: TestApp) => ledgerBalance(t, TREASURY);

export interface Lot {
  account_id: string;
  resident_id: string;
  program_id: string;
  disbursement_id: string;
  expires_at: Date;
  balance: string;
}

/** A program's lots with their ledger balances, straight from the database. */
export async function lotsOf(t: TestApp, where: { program_id?: string; resident_id?: string }): Promise<Lot[]> {
  const rows = await t.knex('subsidy_wallets as w')
    .where(Object.fromEntries(Object.entries(where).map(([k, v]) => [`w.${k}`, v])))
    .orderBy('w.account_id')
    .select('w.account_id', 'w.resident_id', 'w.program_id', 'w.disbursement_id', 'w.expires_at');
  const out: Lot[] = [];
  for (const r of rows) out.push({ ...r, balance: await ledgerBalance(t, r.account_id) });
  return out;
}

/** Makes lots expire now: one second in the past on the database's clock. */
export async function expireLots(t: TestApp, where: { program_id?: string; resident_id?: string; account_id?: string }, ago = "interval '1 second'"): Promise<number> {
  return t.knex('subsidy_wallets').where(where).update({ expires_at: t.knex.raw(`now() - ${ago}`) });
}

/** Money state plus every subsidy table, for "nothing moved". */
export async function subsidyState(t: TestApp) {
  const k = t.knex;
  const count = async (table: string) => Number((await k(table).count<{ n: string }[]>('* as n'))[0].n);
  return {
    ...(await moneyState(t)),
    programs: await count('subsidy_programs'),
    disbursements: await count('subsidy_disbursements'),
    wallets: await count('subsidy_wallets'),
    discountUses: await k('subsidy_discount_uses').orderBy(['program_id', 'resident_id', 'day']).select('program_id', 'resident_id', k.raw('day::text AS day'), 'uses'),
  };
}

/**
 * Stops the app's own minute-by-minute sweeper, so that a test which makes lots expire
 * can watch its own sweep move them (the scheduled sweep has tests of its own).
 */
export async function stopScheduledSweeps(t: TestApp): Promise<void> {
  await t.app.get(ExpirySweeperService).onApplicationShutdown();
}

/** Tests that need allowance money in a lot (kept as an alias so they can be found together). */
export const needsDisbursement = test;
