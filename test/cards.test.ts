import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { CardIssuedEvent } from '../src/cards/events/card-issued.event';
import { CardLockedEvent } from '../src/cards/events/card-locked.event';
import { CardReplacedEvent } from '../src/cards/events/card-replaced.event';
import { CardUnlockedEvent } from '../src/cards/events/card-unlocked.event';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { cardUid, dbState, expectError, historyOf, issueCard, registerResident, residentWithCard, separated } from './support/residents';
import { ISO } from './support/shapes';

let t: TestApp;
let operator: { id: string; key: string };
let keys: { door: string; auditor: string };
const events: object[] = [];

beforeAll(async () => {
  t = await startTestApp();
  operator = await apiKey(t, 'operator');
  keys = { door: (await apiKey(t, 'door')).key, auditor: (await apiKey(t, 'auditor')).key };
  t.app.get(EventBus).subscribe((e) => events.push(e));
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const op = () => bearer(operator.key);
const post = (path: string, body?: object, key = operator.key) => t.http.post(path).set(bearer(key)).send(body ?? {});
const lock = (id: string, reason = 'lost') => post(`/v1/cards/${id}/lock`, { reason });
const unlock = (id: string) => post(`/v1/cards/${id}/unlock`);
const replace = (id: string, uid: string, reason = 'lost') => post(`/v1/cards/${id}/replace`, { uid, reason });

/** Runs `act` and returns the events it published. */
async function published(act: () => Promise<unknown>): Promise<object[]> {
  const from = events.length;
  await act();
  return events.slice(from);
}

describe('POST /v1/cards (issue)', () => {
  test('201 active card in the contract shape; the resident gets a cash wallet; history records who', async () => {
    const r = await registerResident(t);
    const uid = cardUid();
    let res!: Awaited<ReturnType<typeof post>>;
    const evts = await published(async () => (res = await post('/v1/cards', { residentId: r.id, uid })));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), uid, residentId: r.id, status: 'active', lockReason: null, replacesCardId: null, issuedAt: expect.stringMatching(ISO) });
    const wallet = await t.knex('ledger_accounts').where({ id: `cash:${r.id}` }).first('owner_type', 'owner_id', 'kind', 'may_go_negative');
    expect(wallet).toEqual({ owner_type: 'resident', owner_id: r.id, kind: 'cash_wallet', may_go_negative: false });
    expect(await historyOf(t, res.body.id)).toEqual([
      { id: expect.any(String), action: 'issued', fromStatus: null, toStatus: 'active', reason: null, relatedCardId: null, by: { apiKeyId: operator.id, name: 'operator for tests' }, at: expect.stringMatching(ISO) },
    ]);
    expect(evts).toEqual([new CardIssuedEvent(res.body.id, uid, r.id)]);
    expect((await t.http.get(`/v1/cards/${res.body.id}`).set(bearer(keys.auditor))).body).toEqual(res.body);
  });

  test.each([
    ['colons, lower case', (u: string) => separated(u, ':')],
    ['hyphens, upper case', (u: string) => separated(u, '-', false)],
    ['spaces', (u: string) => separated(u, ' ')],
    ['no separators, lower case', (u: string) => u.toLowerCase()],
  ])('a UID with %s is stored and printed normalised', async (_, format) => {
    for (const bytes of [4, 7, 10] as const) {
      const r = await registerResident(t);
      const uid = cardUid(bytes);
      const res = await post('/v1/cards', { residentId: r.id, uid: format(uid) });
      expect(res.status).toBe(201);
      expect(res.body.uid).toBe(uid);
      const found = await t.http.get('/v1/cards').query({ uid: format(uid) }).set(admin);
      expect(found.body).toEqual({ items: [res.body], nextCursor: null });
    }
  });

  const malformed: [string, unknown][] = [
    ['empty', ''],
    ['3 bytes', 'a1b2c3'],
    ['5 bytes', 'a1b2c3d4e5'],
    ['8 bytes', 'a1b2c3d4e5f6a7b8'],
    ['11 bytes', 'a1b2c3d4e5f6a7b8c9d0e1'],
    ['an odd number of hex digits', '04a1b2c'],
    ['a non-hex digit', '04a1b2zz'],
    ['a doubled separator', '04::a1:b2:c3'],
    ['a leading separator', ':04:a1:b2:c3'],
    ['a trailing separator', '04:a1:b2:c3:'],
    ['a dot separator', '04.a1.b2.c3'],
    ['a JSON number', 4161],
    ['null', null],
  ];
  test.each(malformed)('a UID that is %s: 400 validation_failed naming uid, nothing changes', async (_, uid) => {
    const r = await registerResident(t);
    const before = await dbState(t);
    const res = await post('/v1/cards', { residentId: r.id, uid });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('uid');
    expect(await dbState(t)).toEqual(before);
  });

  test.each([
    ['an unknown field', (id: string) => ({ residentId: id, uid: cardUid(), status: 'locked' })],
    ['no residentId', () => ({ uid: cardUid() })],
    ['a residentId that is not a UUID', () => ({ residentId: 'resident-1', uid: cardUid() })],
    ['a residentId as a number', () => ({ residentId: 7, uid: cardUid() })],
  ])('%s: 400 validation_failed, nothing changes', async (_, body) => {
    const r = await registerResident(t);
    const before = await dbState(t);
    expectError(await post('/v1/cards', body(r.id)), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('an unknown resident: 404 resident_not_found, nothing changes, nothing published', async () => {
    const before = await dbState(t);
    const evts = await published(async () => expectError(await post('/v1/cards', { residentId: randomUUID(), uid: cardUid() }), 404, 'resident_not_found'));
    expect(evts).toEqual([]);
    expect(await dbState(t)).toEqual(before);
  });

  test('a UID held by another card, in any spelling: 409 uid_in_use, nothing changes', async () => {
    const { card } = await residentWithCard(t);
    const other = await registerResident(t);
    const before = await dbState(t);
    expectError(await post('/v1/cards', { residentId: other.id, uid: separated(card.uid, '-') }), 409, 'uid_in_use');
    expect(await dbState(t)).toEqual(before);
  });

  test('a second card for a resident whose card is active or locked: 409 resident_has_card, nothing changes', async () => {
    const { resident, card } = await residentWithCard(t);
    let before = await dbState(t);
    const evts = await published(async () => expectError(await post('/v1/cards', { residentId: resident.id, uid: cardUid() }), 409, 'resident_has_card'));
    expect(evts).toEqual([]);
    expect(await dbState(t)).toEqual(before);
    expect((await lock(card.id, 'suspended')).status).toBe(200);
    before = await dbState(t);
    expectError(await post('/v1/cards', { residentId: resident.id, uid: cardUid() }), 409, 'resident_has_card');
    expect(await dbState(t)).toEqual(before);
  });

  test('door and auditor keys may not issue (403), nothing changes', async () => {
    const r = await registerResident(t);
    const before = await dbState(t);
    for (const key of Object.values(keys)) expectError(await post('/v1/cards', { residentId: r.id, uid: cardUid() }, key), 403, 'forbidden');
    expect(await dbState(t)).toEqual(before);
  });
});

describe('lock and unlock', () => {
  test.each(['lost', 'stolen', 'suspended'])('lock (%s) from active: 200 locked, recorded with who and why; unlock: 200 active', async (reason) => {
    const { card } = await residentWithCard(t);
    let res!: Awaited<ReturnType<typeof post>>;
    const locked = await published(async () => (res = await lock(card.id, reason)));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...card, status: 'locked', lockReason: reason });
    expect(locked).toEqual([new CardLockedEvent(card.id, card.uid, card.residentId, reason as 'lost')]);

    const unlocked = await published(async () => (res = await unlock(card.id)));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...card, status: 'active', lockReason: null });
    expect(unlocked).toEqual([new CardUnlockedEvent(card.id, card.uid, card.residentId)]);

    const by = { apiKeyId: operator.id, name: 'operator for tests' };
    expect((await historyOf(t, card.id)).map(({ action, fromStatus, toStatus, reason: why, by: who }) => ({ action, fromStatus, toStatus, why, who }))).toEqual([
      { action: 'issued', fromStatus: null, toStatus: 'active', why: null, who: { apiKeyId: expect.any(String), name: expect.any(String) } },
      { action: 'locked', fromStatus: 'active', toStatus: 'locked', why: reason, who: by },
      { action: 'unlocked', fromStatus: 'locked', toStatus: 'active', why: null, who: by },
    ]);
  });

  test('lock of a locked card: 409 card_not_active, nothing changes, nothing published', async () => {
    const { card } = await residentWithCard(t);
    await lock(card.id, 'lost');
    const before = await dbState(t);
    const evts = await published(async () => expectError(await lock(card.id, 'stolen'), 409, 'card_not_active'));
    expect(evts).toEqual([]);
    expect(await dbState(t)).toEqual(before);
    expect((await t.http.get(`/v1/cards/${card.id}`).set(op())).body.lockReason).toBe('lost');
  });

  test('unlock with unknown body fields: 400 validation_failed, the card stays locked', async () => {
    const { card } = await residentWithCard(t);
    await lock(card.id, 'lost');
    const before = await dbState(t);
    expectError(await post(`/v1/cards/${card.id}/unlock`, { reason: 'found it' }), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('unlock of an active card: 409 card_not_locked, nothing changes', async () => {
    const { card } = await residentWithCard(t);
    const before = await dbState(t);
    expectError(await unlock(card.id), 409, 'card_not_locked');
    expect(await dbState(t)).toEqual(before);
  });

  test('lock or unlock of a replaced card: 409, nothing changes', async () => {
    const { card } = await residentWithCard(t);
    expect((await replace(card.id, cardUid(), 'damaged')).status).toBe(201);
    const before = await dbState(t);
    expectError(await lock(card.id), 409, 'card_not_active');
    expectError(await unlock(card.id), 409, 'card_not_locked');
    expect(await dbState(t)).toEqual(before);
  });

  test.each([
    ['a reason lock does not know', { reason: 'damaged' }],
    ['no reason', {}],
    ['a reason in upper case', { reason: 'LOST' }],
    ['an unknown field', { reason: 'lost', note: 'x' }],
  ])('lock with %s: 400 validation_failed, nothing changes', async (_, body) => {
    const { card } = await residentWithCard(t);
    const before = await dbState(t);
    expectError(await post(`/v1/cards/${card.id}/lock`, body), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('a card that does not exist: 404 card_not_found; an id that is not a UUID: 400; nothing changes', async () => {
    const before = await dbState(t);
    for (const path of ['lock', 'unlock', 'replace', 'history']) {
      const body = path === 'replace' ? { uid: cardUid(), reason: 'lost' } : { reason: 'lost' };
      const call = (id: string) => (path === 'history' ? t.http.get(`/v1/cards/${id}/history`).set(op()) : post(`/v1/cards/${id}/${path}`, path === 'unlock' ? {} : body));
      expectError(await call(randomUUID()), 404, 'card_not_found');
      expectError(await call('not-a-uuid'), 400, 'validation_failed');
    }
    expectError(await t.http.get(`/v1/cards/${randomUUID()}`).set(op()), 404, 'card_not_found');
    expectError(await t.http.get('/v1/cards/42').set(op()), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });
});

describe('POST /v1/cards/:id/replace', () => {
  test.each([
    ['active', 'damaged'],
    ['locked', 'lost'],
    ['locked', 'stolen'],
  ])('from %s (%s): 201 the new card; the old one replaced; history on both; one event', async (from, reason) => {
    const { resident, card } = await residentWithCard(t);
    if (from === 'locked') await lock(card.id, reason === 'damaged' ? 'suspended' : (reason as 'lost'));
    const uid = cardUid(4);
    let res!: Awaited<ReturnType<typeof post>>;
    const evts = await published(async () => (res = await replace(card.id, separated(uid, ':'), reason)));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), uid, residentId: resident.id, status: 'active', lockReason: null, replacesCardId: card.id, issuedAt: expect.stringMatching(ISO) });
    expect(evts).toEqual([new CardReplacedEvent(card.id, card.uid, res.body.id, uid, resident.id, reason as 'lost')]);

    const old = (await t.http.get(`/v1/cards/${card.id}`).set(op())).body;
    expect(old.status).toBe('replaced');
    const by = { apiKeyId: operator.id, name: 'operator for tests' };
    expect((await historyOf(t, card.id)).at(-1)).toMatchObject({ action: 'replaced', fromStatus: from, toStatus: 'replaced', reason, relatedCardId: res.body.id, by });
    expect(await historyOf(t, res.body.id)).toEqual([expect.objectContaining({ action: 'issued', fromStatus: null, toStatus: 'active', relatedCardId: card.id, by })]);
    const mine = (await t.http.get(`/v1/residents/${resident.id}/cards`).set(op())).body;
    expect(mine.items.map((c: { id: string; status: string }) => [c.id, c.status]).sort()).toEqual([[card.id, 'replaced'], [res.body.id, 'active']].sort());
  });

  test.each(['lost', 'stolen'])("a %s card's UID can never be issued again: 409 uid_retired, nothing changes", async (reason) => {
    const { card } = await residentWithCard(t);
    const fresh = (await replace(card.id, cardUid(), reason)).body;
    const other = await registerResident(t);
    const before = await dbState(t);
    expectError(await post('/v1/cards', { residentId: other.id, uid: separated(card.uid, ' ') }), 409, 'uid_retired');
    expectError(await replace(fresh.id, card.uid, 'damaged'), 409, 'uid_retired');
    expect(await dbState(t)).toEqual(before);
  });

  test("a damaged card's UID is not retired but stays held by the replaced card: 409 uid_in_use", async () => {
    const { card } = await residentWithCard(t);
    expect((await replace(card.id, cardUid(), 'damaged')).status).toBe(201);
    const other = await registerResident(t);
    expectError(await post('/v1/cards', { residentId: other.id, uid: card.uid }), 409, 'uid_in_use');
    expect(await t.knex('retired_uids').where({ uid: card.uid }).first()).toBeUndefined();
  });

  test('replace of a replaced card: 409 card_not_active, nothing changes, nothing published', async () => {
    const { card } = await residentWithCard(t);
    await replace(card.id, cardUid(), 'damaged');
    const before = await dbState(t);
    const evts = await published(async () => expectError(await replace(card.id, cardUid(), 'lost'), 409, 'card_not_active'));
    expect(evts).toEqual([]);
    expect(await dbState(t)).toEqual(before);
  });

  test('a new UID held by another card: 409 uid_in_use, the old card stays as it was', async () => {
    const { card } = await residentWithCard(t);
    const { card: someoneElses } = await residentWithCard(t);
    await lock(card.id, 'lost');
    const before = await dbState(t);
    expectError(await replace(card.id, someoneElses.uid, 'lost'), 409, 'uid_in_use');
    expect(await dbState(t)).toEqual(before);
    expect((await t.http.get(`/v1/cards/${card.id}`).set(op())).body.status).toBe('locked');
  });

  test.each([
    ['a reason replace does not know', () => ({ uid: cardUid(), reason: 'suspended' })],
    ['no reason', () => ({ uid: cardUid() })],
    ['no uid', () => ({ reason: 'lost' })],
    ['a malformed uid', () => ({ uid: '04:a1:b2', reason: 'lost' })],
    ['an unknown field', () => ({ uid: cardUid(), reason: 'lost', residentId: randomUUID() })],
  ])('%s: 400 validation_failed, nothing changes', async (_, body) => {
    const { card } = await residentWithCard(t);
    const before = await dbState(t);
    expectError(await post(`/v1/cards/${card.id}/replace`, body()), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('door and auditor keys may not lock, unlock or replace (403), nothing changes', async () => {
    const { card } = await residentWithCard(t);
    const before = await dbState(t);
    for (const key of Object.values(keys)) {
      expectError(await post(`/v1/cards/${card.id}/lock`, { reason: 'lost' }, key), 403, 'forbidden');
      expectError(await post(`/v1/cards/${card.id}/unlock`, {}, key), 403, 'forbidden');
      expectError(await post(`/v1/cards/${card.id}/replace`, { uid: cardUid(), reason: 'lost' }, key), 403, 'forbidden');
    }
    expect(await dbState(t)).toEqual(before);
  });
});

describe('GET /v1/cards/:id/history', () => {
  test('oldest first, paged by cursor, each item with who, when, from which state and why', async () => {
    const { card } = await issueCardWithHistory();
    const all = await historyOf(t, card.id);
    expect(all.map((h) => `${h.action}:${h.fromStatus}->${h.toStatus}:${h.reason}`)).toEqual([
      'issued:null->active:null',
      'locked:active->locked:suspended',
      'unlocked:locked->active:null',
      'locked:active->locked:stolen',
      `replaced:locked->replaced:stolen`,
    ]);
    for (const h of all) expect(h.at).toMatch(ISO);
    expect(all.map((h) => h.at)).toEqual([...all.map((h) => h.at)].sort());

    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await t.http
        .get(`/v1/cards/${card.id}/history`)
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(bearer(keys.auditor));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(all);
  });

  test('a foreign cursor or a bad limit: 400 validation_failed', async () => {
    const { card } = await residentWithCard(t);
    for (const query of [{ cursor: 'garbage!' }, { cursor: Buffer.from('{"id":"1;drop"}').toString('base64url') }, { limit: 0 }, { limit: 501 }, { limit: 'ten' }]) {
      expectError(await t.http.get(`/v1/cards/${card.id}/history`).query(query).set(op()), 400, 'validation_failed');
    }
  });

  test('door keys: 403', async () => {
    const { card } = await residentWithCard(t);
    for (const key of [keys.door]) expectError(await t.http.get(`/v1/cards/${card.id}/history`).set(bearer(key)), 403, 'forbidden');
  });

  async function issueCardWithHistory() {
    const made = await residentWithCard(t);
    expect((await lock(made.card.id, 'suspended')).status).toBe(200);
    expect((await unlock(made.card.id)).status).toBe(200);
    expect((await lock(made.card.id, 'stolen')).status).toBe(200);
    expect((await replace(made.card.id, cardUid(), 'stolen')).status).toBe(201);
    return made;
  }
});

describe('card look-ups', () => {
  test('GET /v1/cards?uid= lists every card that ever had the UID; a malformed uid is 400', async () => {
    const { card } = await residentWithCard(t);
    const res = await t.http.get('/v1/cards').query({ uid: card.uid.toLowerCase() }).set(op());
    expect(res.body).toEqual({ items: [card], nextCursor: null });
    expect((await t.http.get('/v1/cards').query({ uid: cardUid() }).set(op())).body).toEqual({ items: [], nextCursor: null });
    expectError(await t.http.get('/v1/cards').query({ uid: 'xyz' }).set(op()), 400, 'validation_failed');
    expectError(await t.http.get('/v1/cards').set(op()), 400, 'validation_failed');
  });

  test('GET /v1/residents/:id/cards: 404 resident_not_found for an unknown resident, [] for one without cards', async () => {
    expectError(await t.http.get(`/v1/residents/${randomUUID()}/cards`).set(op()), 404, 'resident_not_found');
    const r = await registerResident(t);
    expect((await t.http.get(`/v1/residents/${r.id}/cards`).set(op())).body).toEqual({ items: [], nextCursor: null });
    const card = await issueCard(t, r.id);
    expect((await t.http.get(`/v1/residents/${r.id}/cards`).set(op())).body).toEqual({ items: [card], nextCursor: null });
  });
});
