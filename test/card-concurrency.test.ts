import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { readTestEnv } from './support/test-env';
import { cardUid, fundCash, historyOf, ledgerBalance, listening, registerResident, residentWithCard, separated } from './support/residents';

/**
 * Desks acting at the same moment. The app listens on a real port so that the
 * requests are truly in flight together (and, on a PostgreSQL server, run in
 * transactions side by side); the database's rules decide who wins.
 */
let t: TestApp;
let http: TestAgent;
let desks: string[];

const N = 8;

beforeAll(async () => {
  t = await startTestApp();
  http = await listening(t);
  desks = [TEST_ADMIN_KEY];
  for (let i = 1; i < N; i++) desks.push((await apiKey(t, 'operator')).key);
});
afterAll(async () => {
  await t?.close();
});

type Res = { status: number; body: { code?: string; id?: string; refunded?: string }; headers: Record<string, string> };

/** Fires all requests at once; every one must get an answer. */
async function together(requests: (() => PromiseLike<Res>)[]): Promise<Res[]> {
  return Promise.all(requests.map((r) => r()));
}

const tally = (results: Res[]) =>
  results.reduce<Record<string, number>>((acc, r) => {
    const k = `${r.status} ${r.body.code ?? ''}`.trim();
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

test(`${N} desks issue one UID to ${N} residents at once: exactly one 201, the rest 409 uid_in_use`, async () => {
  const residents = [];
  for (let i = 0; i < N; i++) residents.push(await registerResident(t));
  const uid = cardUid();
  const spellings = [uid, separated(uid, ':'), separated(uid, '-'), separated(uid, ' ')];
  const results = await together(residents.map((r, i) => () => http.post('/v1/cards').set(bearer(desks[i])).send({ residentId: r.id, uid: spellings[i % 4] })));

  expect(tally(results)).toEqual({ '201': 1, '409 uid_in_use': N - 1 });
  const cards = await t.knex('cards').where({ uid }).select('id', 'resident_id', 'status');
  const winner = results.find((r) => r.status === 201)!;
  expect(cards).toEqual([{ id: winner.body.id, resident_id: expect.any(String), status: 'active' }]);
  expect(await t.knex('card_events').whereIn('card_id', cards.map((c) => c.id))).toHaveLength(1);
  // Only the winner's resident got a wallet.
  const wallets = await t.knex('ledger_accounts').whereIn('id', residents.map((r) => cashWalletId(r.id))).select('id');
  expect(wallets).toEqual([{ id: cashWalletId(cards[0].resident_id) }]);
});

test(`${N} desks issue a card to one resident at once, each with its own UID: one 201, the rest 409 resident_has_card`, async () => {
  const r = await registerResident(t);
  const results = await together(desks.map((key) => () => http.post('/v1/cards').set(bearer(key)).send({ residentId: r.id, uid: cardUid() })));

  expect(tally(results)).toEqual({ '201': 1, '409 resident_has_card': N - 1 });
  const cards = await t.knex('cards').where({ resident_id: r.id }).select('id', 'status');
  expect(cards).toEqual([{ id: results.find((x) => x.status === 201)!.body.id, status: 'active' }]);
  expect(await t.knex('ledger_accounts').where({ id: cashWalletId(r.id) })).toHaveLength(1);
});

test(`${N} desks replace one card at once, each with its own new UID: exactly one new card, the rest 409 card_not_active`, async () => {
  const { resident, card } = await residentWithCard(t);
  await fundCash(t, resident.id, '42.00');
  const uids = desks.map(() => cardUid());
  const results = await together(desks.map((key, i) => () => http.post(`/v1/cards/${card.id}/replace`).set(bearer(key)).send({ uid: uids[i], reason: 'lost' })));

  expect(tally(results)).toEqual({ '201': 1, '409 card_not_active': N - 1 });
  const winner = results.find((r) => r.status === 201)!;
  const successors = await t.knex('cards').where({ replaces_card_id: card.id }).select('id', 'uid', 'status');
  expect(successors).toEqual([{ id: winner.body.id, uid: expect.any(String), status: 'active' }]);
  // The losers' UIDs were not taken.
  expect(await t.knex('cards').whereIn('uid', uids).select('id')).toEqual([{ id: winner.body.id }]);
  expect((await t.knex('cards').where({ id: card.id }).first('status')).status).toBe('replaced');
  expect((await historyOf(t, card.id)).filter((h) => h.action === 'replaced')).toHaveLength(1);
  expect(await t.knex('cards').where({ resident_id: resident.id }).whereIn('status', ['active', 'locked'])).toHaveLength(1);
  expect((await http.get(`/v1/cards/${winner.body.id}/balance`).set(bearer(TEST_ADMIN_KEY))).body.cash).toBe('42.00');
});

test(`${N} desks lock one card at once: one 200, the rest 409 card_not_active, one history entry`, async () => {
  const { card } = await residentWithCard(t);
  const results = await together(desks.map((key) => () => http.post(`/v1/cards/${card.id}/lock`).set(bearer(key)).send({ reason: 'stolen' })));

  expect(tally(results)).toEqual({ '200': 1, '409 card_not_active': N - 1 });
  expect((await historyOf(t, card.id)).map((h) => h.action)).toEqual(['issued', 'locked']);
});

test('a replace and a close of one card at once: exactly one of them happens', async () => {
  const { resident, card } = await residentWithCard(t);
  await fundCash(t, resident.id, '8.00');
  const [replaced, closed] = await together([
    () => http.post(`/v1/cards/${card.id}/replace`).set(bearer(desks[0])).send({ uid: cardUid(), reason: 'damaged' }),
    () => http.post(`/v1/cards/${card.id}/close`).set(bearer(desks[1])).set('Idempotency-Key', randomUUID()).send({}),
  ]);

  expect([replaced.status, closed.status].sort()).toEqual(replaced.status === 201 ? [201, 409] : [200, 409]);
  const successors = await t.knex('cards').where({ replaces_card_id: card.id });
  const refunds = await t.knex('ledger_transactions').where({ kind: 'card_close_refund' }).whereRaw(`metadata->>'cardId' = ?`, [card.id]);
  if (replaced.status === 201) {
    expect(closed.body.code).toBe('card_not_active');
    expect([successors.length, refunds.length]).toEqual([1, 0]);
    expect(await ledgerBalance(t, cashWalletId(resident.id))).toBe('8.00');
  } else {
    expect(replaced.body.code).toBe('card_not_active');
    expect(closed.body.refunded).toBe('8.00');
    expect([successors.length, refunds.length]).toEqual([0, 1]);
    expect(await ledgerBalance(t, cashWalletId(resident.id))).toBe('0.00');
  }
});

test(`${N} closes of one funded card at once with one key: the cash is paid out once; the others replay or are in progress`, async () => {
  const { resident, card } = await residentWithCard(t);
  await fundCash(t, resident.id, '30.00');
  const key = `close-${randomUUID()}`;
  const results = await together(desks.map(() => () => http.post(`/v1/cards/${card.id}/close`).set(bearer(desks[0])).set('Idempotency-Key', key).send({})));

  const fresh = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === undefined);
  const replays = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === 'true');
  const inProgress = results.filter((r) => r.status === 409 && r.body.code === 'idempotency_key_in_progress');
  expect(fresh).toHaveLength(1);
  expect(fresh.length + replays.length + inProgress.length).toBe(N);
  expect(fresh[0].body.refunded).toBe('30.00');
  for (const r of replays) expect(r.body).toEqual(fresh[0].body);
  expect(await t.knex('ledger_transactions').where({ kind: 'card_close_refund' }).whereRaw(`metadata->>'cardId' = ?`, [card.id])).toHaveLength(1);
  expect(await ledgerBalance(t, cashWalletId(resident.id))).toBe('0.00');
});

test(`${N} desks close one funded card at once, each with its own key: the cash is paid out once, the others get "0.00"`, async () => {
  const { resident, card } = await residentWithCard(t);
  await fundCash(t, resident.id, '17.30');
  const results = await together(desks.map((key) => () => http.post(`/v1/cards/${card.id}/close`).set(bearer(key)).set('Idempotency-Key', randomUUID()).send({})));

  expect(results.map((r) => r.status)).toEqual(desks.map(() => 200));
  expect(results.map((r) => r.body.refunded).sort()).toEqual([...desks.slice(1).map(() => '0.00'), '17.30'].sort());
  expect(await t.knex('ledger_transactions').where({ kind: 'card_close_refund' }).whereRaw(`metadata->>'cardId' = ?`, [card.id])).toHaveLength(1);
  expect((await historyOf(t, card.id)).filter((h) => h.action === 'closed')).toHaveLength(1);
  expect(await ledgerBalance(t, cashWalletId(resident.id))).toBe('0.00');
});

/**
 * A card locked as lost is closed (which retires its UID) while a desk is issuing that
 * UID: the issuing desk checks retired_uids, then looks for a holder. If the close
 * commits between the two checks, the UID is no longer held (its card is closed) and
 * the retired row was not there when looked for. This reproduces that interleaving
 * deterministically on a PostgreSQL server: a second connection locks the cards table
 * so the issue request stops right after its retired check, closes the card the way the
 * close handler does (status closed, UID retired), and commits. Without the lock, plain
 * concurrent HTTP requests (close + 6 issues, 40 rounds) issued a retired UID in 7 rounds.
 * Embedded PGlite has a single connection, so its transactions cannot interleave.
 */
const serverOnly = readTestEnv().mode === 'server' ? test : test.skip;
serverOnly("a lost card closed while its UID is being issued: the UID is still refused (409 uid_retired)", async () => {
  const { card } = await residentWithCard(t);
  expect((await http.post(`/v1/cards/${card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' })).status).toBe(200);
  const other = await registerResident(t);
  const ext = await t.db.connect();
  try {
    const trx = await ext.transaction();
    await trx.raw('LOCK TABLE cards IN ACCESS EXCLUSIVE MODE');
    const issuing = http.post('/v1/cards').set(bearer(desks[1])).send({ residentId: other.id, uid: card.uid }).then((r) => r);
    // Wait until the issue request is blocked on the cards table, i.e. past its retired check.
    for (let i = 0; ; i++) {
      const { rows } = await ext.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%from "cards"%'`);
      if (rows[0].n > 0) break;
      if (i > 400) throw new Error('the issue request never reached the cards table');
      await new Promise((r) => setTimeout(r, 10));
    }
    await trx('cards').where({ id: card.id }).update({ status: 'closed', status_changed_at: trx.fn.now() });
    await trx('retired_uids').insert({ uid: card.uid, card_id: card.id, reason: 'lost' });
    await trx.commit();
    const res = await issuing;
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'uid_retired' });
    expect(await t.knex('cards').where({ uid: card.uid }).whereNot({ status: 'closed' })).toHaveLength(0);
  } finally {
    await ext.destroy();
  }
});
