import { createPublicKey, type KeyObject, randomBytes, randomUUID, verify } from 'node:crypto';
import { AccessLog } from '../../src/access/access-log';
import { AccessRetentionService } from '../../src/access/access-retention.service';
import { AllowlistRepository } from '../../src/access/allowlist.repository';
import { AppConfig } from '../../src/config/app-config';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';
import { apiKey } from './factories';
import { type CardView, cardUid } from './residents';

export interface DoorView {
  id: string;
  name: string;
  community: string;
  building: string | null;
  createdAt: string;
}

const adminKey = bearer(TEST_ADMIN_KEY);

/** A door through the API: a gate of the community when no building is given. */
export async function door(t: TestApp, community = '金杨新村', building?: string): Promise<DoorView> {
  const res = await t.http
    .post('/v1/doors')
    .set(adminKey)
    .send({ name: building ? `${community} ${building} entrance` : `${community} gate`, community, ...(building ? { building } : {}) });
  if (res.status !== 201) throw new Error(`creating a door failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A community name no other test in the database uses, so its gate's list holds only this test's residents. */
export function community(prefix = '小区'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A controller key for some doors. */
export async function doorKey(t: TestApp, ...doorIds: string[]): Promise<Record<string, string>> {
  return bearer((await apiKey(t, 'door', { doorIds })).key);
}

export interface Decision {
  decision: 'allow' | 'deny';
  reason: string;
  cardId?: string;
}

export async function check(t: TestApp, key: Record<string, string>, doorId: string, uid: string): Promise<Decision> {
  const res = await t.http.post('/v1/access/check').set(key).send({ doorId, uid });
  if (res.status !== 200) throw new Error(`check failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Decision;
}

const allow = (cardId: string): Decision => ({ decision: 'allow', reason: 'ok', cardId });
const deny = (reason: 'card_not_active' | 'no_access' | 'outside_hours', cardId: string): Decision => ({ decision: 'deny', reason, cardId });
/** The contract's answers, spelled once. */
export const decisions = { allow, deny, unknownCard: { decision: 'deny', reason: 'unknown_card' } as Decision };

// --- grants ------------------------------------------------------------------

export interface GrantBody {
  validFrom?: string;
  validUntil?: string;
  hours?: { from: string; to: string };
}

export interface GrantView {
  id: string;
  doorId: string;
  residentId: string;
  validFrom: string | null;
  validUntil: string | null;
  hours: { from: string; to: string } | null;
  createdAt: string;
  revokedAt: string | null;
}

export async function grant(t: TestApp, doorId: string, residentId: string, window: GrantBody = {}, key = TEST_ADMIN_KEY): Promise<GrantView> {
  const res = await t.http.post(`/v1/doors/${doorId}/grants`).set(bearer(key)).send({ residentId, ...window });
  if (res.status !== 201) throw new Error(`granting failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function revoke(t: TestApp, doorId: string, grantId: string): Promise<void> {
  const res = await t.http.delete(`/v1/doors/${doorId}/grants/${grantId}`).set(adminKey);
  if (res.status !== 204) throw new Error(`revoking failed: ${res.status} ${JSON.stringify(res.body)}`);
}

// --- what changes a decision: card states and addresses --------------------------

async function expectStatus<T>(what: string, res: { status: number; body: T }, status: number): Promise<T> {
  if (res.status !== status) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const lockCard = async (t: TestApp, cardId: string, reason: 'lost' | 'stolen' | 'suspended' = 'suspended'): Promise<CardView> =>
  expectStatus('lock', await t.http.post(`/v1/cards/${cardId}/lock`).set(adminKey).send({ reason }), 200);

export const unlockCard = async (t: TestApp, cardId: string): Promise<CardView> => expectStatus('unlock', await t.http.post(`/v1/cards/${cardId}/unlock`).set(adminKey).send(), 200);

export const replaceCard = async (t: TestApp, cardId: string, reason: 'lost' | 'stolen' | 'damaged' = 'damaged', uid = cardUid()): Promise<CardView> =>
  expectStatus('replace', await t.http.post(`/v1/cards/${cardId}/replace`).set(adminKey).send({ uid, reason }), 201);

export const closeCard = async (t: TestApp, cardId: string): Promise<CardView> =>
  (await expectStatus<{ card: CardView }>('close', await t.http.post(`/v1/cards/${cardId}/close`).set(adminKey).set('Idempotency-Key', randomUUID()).send({}), 200)).card;

export const moveResident = async (t: TestApp, residentId: string, address: { community: string; building: string }) =>
  expectStatus('PATCH resident', await t.http.patch(`/v1/residents/${residentId}`).set(adminKey).send({ address }), 200);

// --- allowlists --------------------------------------------------------------

export type Windows = { validFrom?: string; validUntil?: string; hours?: { from: string; to: string } }[];
export interface FullList {
  doorId: string;
  version: number;
  uids: string[];
  limits: Record<string, Windows>;
}
export interface DeltaList {
  doorId: string;
  version: number;
  since: number;
  added: string[];
  removed: string[];
  limits: Record<string, Windows>;
}

/** The service's public key, fetched once per app the way a controller would when it is installed. */
const publicKeys = new WeakMap<TestApp, KeyObject>();
export async function publicKey(t: TestApp): Promise<KeyObject> {
  let key = publicKeys.get(t);
  if (!key) {
    const res = await t.http.get('/v1/access/public-key');
    if (res.status !== 200 || res.body.algorithm !== 'Ed25519') throw new Error(`public key: ${res.status} ${JSON.stringify(res.body)}`);
    key = createPublicKey(res.body.publicKey);
    publicKeys.set(t, key);
  }
  return key;
}

/** Whether `signature` (base64) is an Ed25519 signature of exactly these bytes. */
export function signedBy(key: KeyObject, body: string | Buffer, signature: string | undefined): boolean {
  if (!signature) return false;
  return verify(null, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, key, Buffer.from(signature, 'base64'));
}

/** Verifies a signed allowlist answer with nothing but the public key, as a controller would. */
export async function verifiedList(t: TestApp, res: { headers: Record<string, string>; text: string }): Promise<unknown> {
  if (!signedBy(await publicKey(t), res.text, res.headers.signature)) throw new Error('allowlist signature does not verify');
  return JSON.parse(res.text);
}

/** GET the door's list (full, or since a version), checked for status and signature. */
export async function allowlist(t: TestApp, key: Record<string, string>, doorId: string, since?: number | string): Promise<FullList | DeltaList> {
  const res = await t.http.get(`/v1/doors/${doorId}/allowlist`).query(since === undefined ? {} : { since: String(since) }).set(key);
  if (res.status !== 200) throw new Error(`allowlist failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (await verifiedList(t, res)) as FullList | DeltaList;
}

export const isFull = (list: FullList | DeltaList): list is FullList => 'uids' in list;

export async function fullList(t: TestApp, key: Record<string, string>, doorId: string): Promise<FullList> {
  const list = await allowlist(t, key, doorId);
  if (!isFull(list)) throw new Error(`expected a full list: ${JSON.stringify(list)}`);
  return list;
}

/** A list as a map UID → windows (null: at any time), the form a controller keeps. */
export function asMap(list: FullList): Map<string, Windows | null> {
  return new Map(list.uids.map((uid) => [uid, list.limits[uid] ?? null]));
}

/** What a controller does with an answer: replace its list with a full one, or apply a delta (removed, then added). */
export function applyList(held: Map<string, Windows | null>, list: FullList | DeltaList): Map<string, Windows | null> {
  if (isFull(list)) return asMap(list);
  const next = new Map(held);
  for (const uid of list.removed) next.delete(uid);
  for (const uid of list.added) next.set(uid, list.limits[uid] ?? null);
  return next;
}

/** A map in UID order, for comparing lists whatever order they came in. */
export const sortedEntries = (m: Map<string, Windows | null>) => [...m].sort(([a], [b]) => a.localeCompare(b));

// --- access events -----------------------------------------------------------

export interface AccessEvent {
  id: string;
  doorId: string;
  uid: string;
  cardId: string | null;
  decision: 'allow' | 'deny';
  reason: string;
  rule: string;
  apiKeyId: string;
  at: string;
}

export function doorEvents(t: TestApp, doorId: string, query: Record<string, string | number> = {}, key = TEST_ADMIN_KEY) {
  return t.http.get(`/v1/doors/${doorId}/events`).query(query).set(bearer(key));
}

/** Every event of a door (newest first), following the cursor page by page. */
export async function allDoorEvents(t: TestApp, doorId: string, query: Record<string, string | number> = {}): Promise<{ items: AccessEvent[]; pages: number }> {
  const items: AccessEvent[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await doorEvents(t, doorId, cursor ? { ...query, cursor } : query);
    if (res.status !== 200) throw new Error(`events failed: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor !== null && pages < 1000);
  return { items, pages };
}

/** Writes the access events this instance still holds in its buffer (checks are logged behind the answer). */
export const flushAccessLog = (t: TestApp) => t.app.get(AccessLog).flush();

/** Row counts of everything door calls can write, after flushing the access-log buffer. */
export async function accessCounts(t: TestApp) {
  await flushAccessLog(t);
  const count = async (table: string, where?: (q: any) => void) => {
    const q = t.knex(table);
    if (where) where(q);
    return Number((await q.count<{ n: string }[]>('* as n'))[0].n);
  };
  return {
    doors: await count('doors'),
    grants: await count('door_grants'),
    revokedGrants: await count('door_grants', (q) => q.whereNotNull('revoked_at')),
    events: await count('access_events'),
    allowlistEntries: await count('allowlist_entries'),
    listVersions: (await t.knex('doors').sum<{ s: string | null }[]>('list_version as s'))[0].s,
    apiKeys: await count('api_keys'),
    cards: await count('cards'),
    residents: await count('residents'),
  };
}

// --- Shanghai time, for windows relative to now ----------------------------------

const SHANGHAI_MS = 8 * 3600_000;

/** Minutes after Shanghai midnight, now. */
export const shanghaiMinute = (at = new Date()) => Math.floor(((at.getTime() + SHANGHAI_MS) % 86_400_000) / 60_000);

/** 'YYYY-MM-DD' in Shanghai, `offsetDays` from the day of `at`. */
export const shanghaiDate = (offsetDays = 0, at = new Date()) => new Date(at.getTime() + SHANGHAI_MS + offsetDays * 86_400_000).toISOString().slice(0, 10);

export const hhmm = (minute: number) => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/**
 * Daily hours relative to now, an hour or more from the edge now moves towards, so that
 * a test taking a few seconds never crosses one: `open` contains now, `closed` does not.
 * `wraps` makes `to` earlier than `from` (the window runs past midnight); for `closed`
 * that is impossible with an hour to spare after 23:00, when it gives the next morning.
 */
export function hoursAround(kind: 'open' | 'closed', wraps = false, at = new Date()): { from: string; to: string } {
  const now = shanghaiMinute(at);
  if (!wraps) return kind === 'open' ? { from: hhmm(now - 60), to: hhmm(now + 60) } : { from: hhmm(now + 60), to: hhmm(now + 180) };
  if (kind === 'open') {
    // Closed only for an hour that is not the coming one: after now+60 until 22:00, else the hour before now-60.
    return now <= 1319 ? { from: hhmm(now + 120), to: hhmm(now + 60) } : { from: hhmm(now - 60), to: hhmm(now - 120) };
  }
  // Open from now+60 through midnight until now-60 (or 00:00).
  if (now <= 1379) return { from: hhmm(now + 60), to: hhmm(Math.max(0, now - 60)) };
  // After 23:00 no window that wraps can leave the coming hour out: the next morning instead.
  return { from: hhmm(now + 60), to: hhmm(now + 180) };
}

/**
 * Runs `body` with today's Shanghai date, and again if the date changed while it ran:
 * a test about "today" is then never judged across a midnight.
 */
export async function onOneShanghaiDay<T>(body: (today: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const today = shanghaiDate();
    const result = await body(today);
    if (shanghaiDate() === today || attempt === 2) return result;
  }
}

/**
 * Asks `probe` until `done` holds, at most `attempts` times with a short pause between;
 * returns the last answer so the caller asserts on it (a cap on attempts, not a clock).
 */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, attempts = 60, pauseMs = 25): Promise<T> {
  let value = await probe();
  for (let i = 1; i < attempts && !done(value); i++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    value = await probe();
  }
  return value;
}

/**
 * Sets the clock the service reads (Date only: timers, ticks and I/O keep running), so a
 * decision can be taken at a chosen Shanghai moment, such as either side of midnight.
 * `thawClock` puts the real clock back; call it in afterEach.
 */
export function setClock(at: Date | string): void {
  // Installing fake timers over fake timers leaves the first clock behind for good.
  jest.useRealTimers();
  jest.useFakeTimers({
    now: new Date(at),
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
}

export function thawClock(): void {
  jest.useRealTimers();
}

/**
 * Runs the retention job's own code (AccessRetentionService.sweep) on the app's database,
 * through a knex that refuses to build more than `maxQueries` queries: a run that would
 * never end then fails (and answers {events: 0, tombstones: 0}, as the job does on an
 * error) instead of holding the process for ever. `queries` says how many it built.
 */
export async function sweepAccessLog(t: TestApp, now?: Date, maxQueries = 100): Promise<{ events: number; tombstones: number; queries: number }> {
  let queries = 0;
  const knex = new Proxy(t.knex, {
    apply(target, self, args) {
      if (++queries > maxQueries) throw new Error(`the retention job built more than ${maxQueries} queries`);
      return Reflect.apply(target, self, args);
    },
  });
  const service = new AccessRetentionService(knex, t.app.get(AllowlistRepository), t.app.get(AppConfig));
  const result = await service.sweep(now);
  return { ...result, queries };
}

// --- the access feed's LISTEN connection (PostgreSQL server only) --------------------

const FEED_APPLICATION = 'community-card-access-feed';
const databaseOf = (t: TestApp) => new URL(t.db.databaseUrl!).pathname.slice(1);

/** The backends of every instance's access-feed listener on this test's database. */
export async function feedListeners(t: TestApp): Promise<{ pid: number; query: string }[]> {
  const res = await t.knex.raw(`SELECT pid, query FROM pg_stat_activity WHERE application_name = ? AND datname = ? ORDER BY pid`, [FEED_APPLICATION, databaseOf(t)]);
  return res.rows;
}

/** Cuts every instance's access-feed listener, as a network blip or a restarted pooler would; returns how many. */
export async function killFeedListeners(t: TestApp): Promise<number> {
  const res = await t.knex.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND datname = ?`, [FEED_APPLICATION, databaseOf(t)]);
  return res.rows.length;
}
