import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { hashApiKey } from '../src/auth/api-key-secret';
import { AuditRecorder } from '../src/audit/audit-recorder';
import { AuditRepository } from '../src/audit/audit.repository';
import { PERSONAL_READS, STAFF_ROLES } from '../src/audit/staff-action';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { door } from './support/doors';
import { holder, pay, terminal, topUp, type Terminal } from './support/money';
import { cardUid, registerResident, residentBody } from './support/residents';
import { ISO, UUID } from './support/shapes';

/**
 * The audit trail (src/audit/): staff actions are recorded with who, what, when, key and
 * address, refusals included; terminals and door controllers are not; the table refuses
 * changes; auditors and admins read it, paged and filtered.
 */

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  method: string;
  route: string;
  params: Record<string, string>;
  resourceIds: string[];
  statusCode: number;
  outcome: string;
  key: { id: string | null; name: string | null; role: string | null; prefix: string | null };
  remoteAddress: string | null;
  forwardedFor: string | null;
  summary: { fields?: string[]; values?: Record<string, unknown>; query?: unknown; bodyBytes?: number; replayed?: true };
  requestId: string | null;
}

let t: TestApp;
let adminKeyId: string;
let operator: { id: string; key: string };
let auditor: { id: string; key: string };
let till: Terminal;
let doorKey: { id: string; key: string };
const started = new Date();
let log = '';

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk, _enc, done) {
      log += String(chunk);
      done();
    },
  });
  t = await startTestApp({ config: { rateLimitPerSecond: 0, logLevel: 'info' }, logStream });
  adminKeyId = (await t.knex('api_keys').where({ key_hash: hashApiKey(TEST_ADMIN_KEY) }).first('id')).id;
  operator = await apiKey(t, 'operator');
  auditor = await apiKey(t, 'auditor');
  till = await terminal(t);
  doorKey = await apiKey(t, 'door');
});
afterAll(async () => {
  await t?.close();
});

const LOCAL = /^(127\.0\.0\.1|::1)$/;
const asOperator = () => bearer(operator.key);

function readEvents(query: Record<string, string | number> = {}, key = auditor.key) {
  return t.http.get('/v1/audit/events').query(query).set(bearer(key));
}

/** Every event matching the filters, newest first, walking all pages. */
async function allEvents(query: Record<string, string | number> = {}): Promise<AuditEvent[]> {
  const items: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const res = await readEvents({ limit: 500, ...query, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** The newest event of an action (and, optionally, of a key). */
async function lastOf(action: string, keyId?: string): Promise<AuditEvent> {
  const res = await readEvents({ action, limit: 1, ...(keyId ? { keyId } : {}) });
  expect(res.status).toBe(200);
  expect(res.body.items).toHaveLength(1);
  return res.body.items[0];
}

const count = async (where: Record<string, unknown> = {}) => Number((await t.knex('audit_events').where(where).count({ n: '*' }).first())!.n);

describe('staff actions are recorded: who, what, when, key, address', () => {
  let cardId: string;
  let residentId: string;
  let sentIdNumber: string;
  let sentPhone: string;

  test('an operator registering a resident and issuing a card', async () => {
    const r = await registerResident(t, {}, operator.key);
    residentId = r.id;
    sentIdNumber = r.sent.idNumber;
    sentPhone = r.sent.phone!;
    const uid = cardUid();
    const before = new Date();
    const res = await t.http.post('/v1/cards').set(asOperator()).send({ residentId, uid });
    expect(res.status).toBe(201);
    cardId = res.body.id;

    const e = await lastOf('POST /v1/cards', operator.id);
    expect(e).toEqual({
      id: expect.stringMatching(/^[0-9]+$/),
      at: expect.stringMatching(ISO),
      action: 'POST /v1/cards',
      method: 'POST',
      route: '/v1/cards',
      params: {},
      resourceIds: expect.arrayContaining([residentId, cardId]),
      statusCode: 201,
      outcome: 'ok',
      key: { id: operator.id, name: 'operator for tests', role: 'operator', prefix: operator.key.slice(0, 10) },
      remoteAddress: expect.stringMatching(LOCAL),
      forwardedFor: null,
      summary: { fields: ['residentId', 'uid'], values: { residentId, uid } },
      requestId: expect.any(String),
    });
    // The request id is the one of the request's log line.
    const logged = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { req?: { id?: unknown; method?: string; url?: string }; res?: { statusCode?: number } })
      .filter((l) => l.req?.method === 'POST' && l.req.url === '/v1/cards' && l.res?.statusCode === 201);
    expect(logged.map((l) => String(l.req!.id))).toEqual([e.requestId]);
    expect(new Date(e.at).getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(new Date(e.at).getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    // The registration: its fields by name, the created resident's id, none of its values.
    const reg = await lastOf('POST /v1/residents', operator.id);
    expect(reg).toMatchObject({ statusCode: 201, outcome: 'ok', resourceIds: [residentId] });
    expect(reg.summary).toEqual({ fields: ['address', 'birthDate', 'idNumber', 'name', 'phone', 'tags'] });
  });

  test('locking it, and a refused second lock', async () => {
    expect((await t.http.post(`/v1/cards/${cardId}/lock`).set(asOperator()).send({ reason: 'lost' })).status).toBe(200);
    const locked = await lastOf('POST /v1/cards/:id/lock', operator.id);
    expect(locked).toMatchObject({
      params: { id: cardId },
      resourceIds: [cardId],
      statusCode: 200,
      outcome: 'ok',
      key: { id: operator.id, role: 'operator' },
      summary: { fields: ['reason'], values: { reason: 'lost' } },
    });

    const again = await t.http.post(`/v1/cards/${cardId}/lock`).set(asOperator()).send({ reason: 'stolen' });
    expect(again.status).toBe(409);
    const refused = await lastOf('POST /v1/cards/:id/lock', operator.id);
    expect(Number(refused.id)).toBeGreaterThan(Number(locked.id));
    // A refused request's values are not kept: they passed no validation.
    expect(refused).toMatchObject({ params: { id: cardId }, statusCode: 409, outcome: 'card_not_active', summary: { fields: ['reason'] } });
    expect(refused.summary.values).toBeUndefined();
  });

  test('an admin creating a key: the new key id is recorded, never the key', async () => {
    const res = await t.http.post('/v1/api-keys').set(bearer(TEST_ADMIN_KEY)).send({ role: 'operator', name: 'Desk 7' });
    expect(res.status).toBe(201);
    const e = await lastOf('POST /v1/api-keys', adminKeyId);
    expect(e).toMatchObject({
      statusCode: 201,
      outcome: 'ok',
      resourceIds: [res.body.id],
      key: { id: adminKeyId, role: 'admin', name: 'bootstrap admin (ADMIN_API_KEY)', prefix: TEST_ADMIN_KEY.slice(0, 10) },
      summary: { fields: ['name', 'role'], values: { role: 'operator' } },
    });
    const everything = JSON.stringify(await t.knex('audit_events').select('*'));
    expect(everything).not.toContain(res.body.key);
    expect(everything).not.toContain(res.body.key.slice(10));
    expect(everything).not.toContain(TEST_ADMIN_KEY);
    expect(everything).not.toContain(operator.key);
  });

  test('a staff read of personal data is recorded; other staff reads are not', async () => {
    const before = await count();
    expect((await t.http.get(`/v1/residents/${residentId}`).set(asOperator())).status).toBe(200);
    expect(await lastOf('GET /v1/residents/:id', operator.id)).toMatchObject({ params: { id: residentId }, resourceIds: [residentId], statusCode: 200, outcome: 'ok' });
    expect((await t.http.get('/v1/doors').set(asOperator())).status).toBe(200);
    expect((await t.http.get('/v1/desk/me').set(asOperator())).status).toBe(200);
    expect((await readEvents()).status).toBe(200); // reading the trail is not itself recorded
    expect(await count()).toBe(before + 1);
  });

  test('the desk search and the ID-number look-up (POSTs that read) are recorded, without what was searched for', async () => {
    expect((await t.http.post('/v1/desk/residents/search').set(asOperator()).send({ name: '张秀' })).status).toBe(200);
    expect((await t.http.post('/v1/residents/lookup').set(asOperator()).send({ idNumber: sentIdNumber })).status).toBe(200);
    expect(await lastOf('POST /v1/desk/residents/search', operator.id)).toMatchObject({ statusCode: 200, summary: { fields: ['name'] } });
    expect(await lastOf('POST /v1/residents/lookup', operator.id)).toMatchObject({ statusCode: 200, summary: { fields: ['idNumber'] } });
  });

  test('no ID number, phone or name ever reaches the trail', async () => {
    // A refused registration too: its values are in no column either.
    const bad = await t.http.post('/v1/residents').set(asOperator()).send({ name: '王小明', idNumber: sentIdNumber.slice(0, 17), phone: sentPhone, birthDate: '1950-01-01' });
    expect(bad.status).toBe(400);
    expect(await lastOf('POST /v1/residents', operator.id)).toMatchObject({ statusCode: 400, outcome: 'validation_failed' });
    const everything = JSON.stringify(await t.knex('audit_events').select('*'));
    for (const secret of [sentIdNumber, sentIdNumber.slice(0, 17), sentPhone, '张秀英', '张秀', '王小明']) expect(everything).not.toContain(secret);
  });

  test('the socket address is recorded; X-Forwarded-For is kept only as the claim it is', async () => {
    await t.http.get(`/v1/residents/${residentId}`).set(asOperator()).set('X-Forwarded-For', '203.0.113.9');
    expect(await lastOf('GET /v1/residents/:id', operator.id)).toMatchObject({ remoteAddress: expect.stringMatching(LOCAL), forwardedFor: '203.0.113.9' });
  });

  test('filter by resource: everything that happened to the card', async () => {
    const items = await allEvents({ resourceId: cardId });
    expect(items.map((e) => `${e.action} ${e.statusCode}`)).toEqual(['POST /v1/cards/:id/lock 409', 'POST /v1/cards/:id/lock 200', 'POST /v1/cards 201']);
  });
});

describe('refused attempts are recorded', () => {
  test('an operator calling an admin route: 403 with the operator key', async () => {
    const res = await t.http.post('/v1/merchants').set(asOperator()).send({ name: 'not mine to create', category: 'canteen' });
    expect(res.status).toBe(403);
    expect(await lastOf('POST /v1/merchants', operator.id)).toMatchObject({
      statusCode: 403,
      outcome: 'forbidden',
      key: { id: operator.id, role: 'operator', name: 'operator for tests' },
      summary: { fields: ['category', 'name'] },
    });
  });

  test('no key, and a key that does not exist: 401, with the prefix of something shaped like a key', async () => {
    const residentId = randomUUID();
    expect((await t.http.post('/v1/cards').send({ residentId, uid: cardUid() })).status).toBe(401);
    let e = await lastOf('POST /v1/cards');
    expect(e).toMatchObject({ statusCode: 401, outcome: 'unauthorized', key: { id: null, name: null, role: null, prefix: null }, remoteAddress: expect.stringMatching(LOCAL) });
    expect(e.resourceIds).toEqual([]); // a refused body's ids are not taken

    const forged = `cck_${'A'.repeat(43)}`;
    expect((await t.http.post('/v1/cards').set(bearer(forged)).send({})).status).toBe(401);
    e = await lastOf('POST /v1/cards');
    expect(e).toMatchObject({ statusCode: 401, key: { id: null, prefix: forged.slice(0, 10) } });

    // Something that is not shaped like a key (a password pasted by mistake) leaves no trace of itself.
    expect((await t.http.post('/v1/cards').set(bearer('hunter2-my-password')).send({})).status).toBe(401);
    e = await lastOf('POST /v1/cards');
    expect(e.key.prefix).toBeNull();
    expect(JSON.stringify(await t.knex('audit_events').select('*'))).not.toContain('hunter2');
  });

  test('a revoked key is refused and recorded without a key id', async () => {
    const k = await apiKey(t, 'operator');
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(bearer(TEST_ADMIN_KEY))).status).toBe(204);
    expect(await lastOf('DELETE /v1/api-keys/:id', adminKeyId)).toMatchObject({ statusCode: 204, params: { id: k.id }, resourceIds: [k.id] });
    expect((await t.http.post(`/v1/cards/${randomUUID()}/unlock`).set(bearer(k.key)).send()).status).toBe(401);
    expect(await lastOf('POST /v1/cards/:id/unlock')).toMatchObject({ statusCode: 401, key: { id: null, prefix: k.key.slice(0, 10) } });
  });

  test("a till trying a staff route: 403 with the till's key", async () => {
    expect((await t.http.post('/v1/cards').set(bearer(till.key)).send({ residentId: randomUUID(), uid: cardUid() })).status).toBe(403);
    expect(await lastOf('POST /v1/cards', till.keyId)).toMatchObject({ statusCode: 403, outcome: 'forbidden', key: { id: till.keyId, role: 'merchant' } });
  });

  test('a body the parser refuses, before any guard: recorded with the key that sent it', async () => {
    const res = await t.http.post('/v1/cards').set(asOperator()).set('Content-Type', 'application/json').send('{"residentId": ');
    expect(res.status).toBe(400);
    expect(await lastOf('POST /v1/cards', operator.id)).toMatchObject({ statusCode: 400, outcome: 'validation_failed', key: { id: operator.id } });
  });

  test('every staff route records a refused call at its own route pattern', async () => {
    const table = t.app.get(AuditRecorder).routes;
    const staffRoutes = [...table]
      .filter(([key, a]) => !a.isPublic && a.roles?.some((r) => STAFF_ROLES.has(r)) && (!key.startsWith('GET ') || PERSONAL_READS.has(key)))
      .map(([key]) => key);
    expect(staffRoutes).toEqual(expect.arrayContaining(['POST /v1/cards', 'DELETE /v1/doors/:id/grants/:grantId', 'PATCH /v1/residents/:id', 'GET /v1/residents/:id']));
    // Every personal read names a real route.
    for (const read of PERSONAL_READS) expect(table.has(read)).toBe(true);
    for (const key of staffRoutes) {
      const [method, route] = key.split(' ');
      const path = route.replace(/:[A-Za-z]+/g, () => randomUUID());
      const res = await t.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](path).set('X-Probe', key);
      expect(`${key} ${res.status}`).toBe(`${key} 401`);
      expect(await lastOf(key)).toMatchObject({ method, route, statusCode: 401, outcome: 'unauthorized' });
    }
  });
});

describe('terminals and door controllers are not staff', () => {
  test("a till's payments and refunds, a door's checks and lists leave no audit event", async () => {
    const h = await holder(t, '50.00');
    const d = await door(t, `小区-${randomUUID().slice(0, 8)}`);
    const controller = await apiKey(t, 'door', { doorIds: [d.id] });
    const before = await count();

    const paid = await pay(t.http, till.key, { uid: h.card.uid, amount: '3.00' });
    expect(paid.status).toBe(201);
    const refunded = await t.http.post(`/v1/payments/${paid.body.id}/refunds`).set(bearer(till.key)).set('Idempotency-Key', randomUUID()).send({ amount: '1.00' });
    expect(refunded.status).toBe(201);
    expect((await t.http.get(`/v1/merchants/${till.merchant.id}/payments`).set(bearer(till.key))).status).toBe(200);
    // a till refused on its own route (bad input) is its own business too
    expect((await pay(t.http, till.key, { uid: h.card.uid, amount: 3 })).status).toBe(400);
    expect((await t.http.post(`/v1/payments/${paid.body.id}/refunds`).set(bearer(till.key)).set('Idempotency-Key', randomUUID()).send({ amount: 'x' })).status).toBe(400);

    expect((await t.http.post('/v1/access/check').set(bearer(controller.key)).send({ doorId: d.id, uid: h.card.uid })).status).toBe(200);
    expect((await t.http.get(`/v1/doors/${d.id}/allowlist`).set(bearer(controller.key))).status).toBe(200);
    expect((await t.http.get(`/v1/doors/${d.id}`).set(bearer(controller.key))).status).toBe(200);

    expect(await count()).toBe(before);
    expect(await count({ api_key_id: till.keyId, outcome: 'ok' })).toBe(0);
    expect(await count({ api_key_id: controller.id })).toBe(0);
    expect(await count({ api_key_id: doorKey.id })).toBe(0);
  });

  test("the top-up that funded the card was the operator's action and is recorded", async () => {
    const { card } = await holder(t);
    const res = await topUp(t.http, { cardId: card.id, amount: '20.00', method: 'cash' }, { key: operator.key });
    expect(res.status).toBe(201);
    expect(await lastOf('POST /v1/top-ups', operator.id)).toMatchObject({
      statusCode: 201,
      resourceIds: expect.arrayContaining([card.id, res.body.id]),
      summary: { fields: ['amount', 'cardId', 'method'], values: { amount: '20.00', cardId: card.id, method: 'cash' } },
    });
    // A retry with the same Idempotency-Key is recorded too, marked as the replay it is.
    const idem = randomUUID();
    for (let i = 0; i < 2; i++) expect((await topUp(t.http, { cardId: card.id, amount: '1.00', method: 'cash' }, { key: operator.key, idem })).status).toBe(201);
    const [retry, first] = (await readEvents({ action: 'POST /v1/top-ups', keyId: operator.id, limit: 2 })).body.items as AuditEvent[];
    expect(first.summary.replayed).toBeUndefined();
    expect(retry.summary).toMatchObject({ replayed: true, values: { amount: '1.00' } });
    expect(retry.resourceIds).toEqual(first.resourceIds);
  });
});

describe('the table is append-only', () => {
  test.each([
    ['UPDATE', 'UPDATE audit_events SET outcome = \'ok\''],
    ['UPDATE of no row', 'UPDATE audit_events SET outcome = \'ok\' WHERE false'],
    ['DELETE', 'DELETE FROM audit_events'],
    ['DELETE of no row', 'DELETE FROM audit_events WHERE id < 0'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('%s is rejected', async (_, sql) => {
    const before = await t.knex('audit_events').orderBy('id').select('*');
    expect(before.length).toBeGreaterThan(0);
    await expect(t.knex.raw(sql)).rejects.toThrow(/append-only/);
    expect(await t.knex('audit_events').orderBy('id').select('*')).toEqual(before);
  });
});

describe('GET /v1/audit/events', () => {
  test('auditors and admins read it; operators, tills and doors may not; no key is 401', async () => {
    expect((await readEvents({}, auditor.key)).status).toBe(200);
    expect((await readEvents({}, TEST_ADMIN_KEY)).status).toBe(200);
    for (const key of [operator.key, till.key, doorKey.key]) {
      const res = await readEvents({}, key);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await t.http.get('/v1/audit/events')).status).toBe(401);
  });

  test('newest first, paged without gaps or repeats', async () => {
    const all = await allEvents();
    expect(all.length).toBeGreaterThan(10);
    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.every((e) => UUID.test(e.key.id ?? randomUUID()) && ISO.test(e.at))).toBe(true);

    const first = await readEvents({});
    expect(first.body.items).toHaveLength(Math.min(50, all.length));

    const paged: AuditEvent[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await readEvents({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      paged.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(all.length / 3));
    // Staff actions made while reading are newer than the first page and do not show up on later ones.
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  test('filters: key, action, time, outcome', async () => {
    const byOperator = await allEvents({ keyId: operator.id });
    expect(byOperator.length).toBeGreaterThan(5);
    expect(byOperator.every((e) => e.key.id === operator.id)).toBe(true);

    const locks = await allEvents({ action: 'POST /v1/cards/:id/lock' });
    expect(locks.length).toBeGreaterThanOrEqual(2);
    expect(locks.every((e) => e.action === 'POST /v1/cards/:id/lock')).toBe(true);
    const anyMethod = await allEvents({ action: '/v1/residents/:id' });
    expect(new Set(anyMethod.map((e) => e.method))).toEqual(new Set(['GET', 'PATCH']));

    const refused = await allEvents({ outcome: 'forbidden' });
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((e) => e.statusCode === 403)).toBe(true);

    const all = await allEvents();
    expect(await allEvents({ from: new Date(started.getTime() - 60_000).toISOString() })).toEqual(all);
    expect(await allEvents({ to: new Date(started.getTime() - 60_000).toISOString() })).toEqual([]);
    expect(await allEvents({ from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    // [from, to): an event's own time is in, the same time as `to` is out.
    const one = all[Math.floor(all.length / 2)];
    const exact = await allEvents({ from: one.at, to: new Date(new Date(one.at).getTime() + 1).toISOString() });
    expect(exact.map((e) => e.id)).toContain(one.id);
    expect((await allEvents({ from: one.at, to: one.at })).length).toBe(0);

    const combined = await allEvents({ keyId: operator.id, action: 'POST /v1/cards/:id/lock', outcome: 'ok' });
    expect(combined).toHaveLength(1);
  });

  test.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 501 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ keyId: 'not-a-uuid' }, 'keyId'],
    [{ from: 'yesterday' }, 'from'],
    [{ to: '2026-13-01T00:00:00Z' }, 'to'],
    [{ action: 'DROP TABLE audit_events' }, 'action'],
    [{ action: 'POST v1/cards' }, 'action'],
    [{ outcome: 'Not An Outcome' }, 'outcome'],
    [{ resourceId: '../etc' }, 'resourceId'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
    [{ cursor: Buffer.from('{"id":"1; DROP"}').toString('base64url') }, 'cursor'],
    [{ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, 'from'],
    [{ color: 'red' }, 'color'],
  ])('%j is 400 validation_failed naming %s', async (query, field) => {
    const res = await readEvents(query as Record<string, string | number>);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed', message: expect.stringContaining(field) });
  });

  test('is in the OpenAPI document, with its filters', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const op = doc.paths['/v1/audit/events']?.get;
    expect(op).toBeDefined();
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'keyId', 'from', 'to', 'action', 'outcome', 'resourceId']));
  });
});

describe('when the event cannot be written', () => {
  test('a change without an Idempotency-Key is answered anyway (it happened); a read of personal data is refused with 503', async () => {
    const repo = t.app.get(AuditRepository);
    const spy = jest.spyOn(repo, 'insert').mockRejectedValue(new Error('disk full'));
    try {
      const r = await t.http.post('/v1/residents').set(asOperator()).send(residentBody());
      expect(r.status).toBe(201);
      const read = await t.http.get(`/v1/residents/${r.body.id}`).set(asOperator());
      expect(read.status).toBe(503);
      expect(read.body).toEqual({ statusCode: 503, code: 'service_unavailable', message: expect.any(String) });
      expect(read.text).not.toContain(r.body.idNumberMasked);
      // not a staff action: untouched
      expect((await t.http.get('/v1/doors').set(asOperator())).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/^audit_write_failures_total 2$/m);
  });

  test('a change under an Idempotency-Key is answered 503; its retry gets the stored answer and is recorded', async () => {
    const { card } = await holder(t);
    const repo = t.app.get(AuditRepository);
    const idem = randomUUID();
    const spy = jest.spyOn(repo, 'insert').mockRejectedValueOnce(new Error('connection terminated'));
    let first;
    try {
      first = await topUp(t.http, { cardId: card.id, amount: '7.00', method: 'cash' }, { key: operator.key, idem });
    } finally {
      spy.mockRestore();
    }
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ statusCode: 503, code: 'service_unavailable', message: expect.stringContaining('Idempotency-Key') });
    const retry = await topUp(t.http, { cardId: card.id, amount: '7.00', method: 'cash' }, { key: operator.key, idem });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // Made once, and on record through the replay.
    expect(await t.knex('top_ups').where({ card_id: card.id, amount: '7.00' })).toHaveLength(1);
    expect(await lastOf('POST /v1/top-ups', operator.id)).toMatchObject({ statusCode: 201, resourceIds: expect.arrayContaining([retry.body.id]), summary: { replayed: true } });
  });
});
