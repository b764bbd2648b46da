import type { AddressInfo } from 'node:net';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { cardUid, expectError, issueCard, listening, registerResident, separated } from './support/residents';
import { openStream, type SseStream } from './support/sse';

/** The contract's promise to the console: a tap is on screen within half a second. */
const TAP_DEADLINE_MS = 500;

describe('desk stations: taps and their live stream', () => {
  let t: TestApp;
  let base: string;
  let operator: { id: string; key: string };
  const streams: SseStream[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await listening(t);
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    operator = await apiKey(t, 'operator');
  });
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  const tap = (station: string, body: unknown, key = operator.key) => t.http.post(`/v1/stations/${station}/taps`).set(bearer(key)).send(body as object);
  const watch = async (station: string, key = operator.key) => {
    const s = await openStream(base, station, key);
    streams.push(s);
    return s;
  };

  describe('POST /v1/stations/:id/taps', () => {
    test('a blank card: 202 with the UID normalised and no card', async () => {
      const uid = cardUid();
      const res = await tap('S1', { uid: separated(uid, ':') });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ station: 'S1', uid, at: expect.any(String), card: null, retired: false });
      expect(Math.abs(Date.parse(res.body.at) - Date.now())).toBeLessThan(10_000);
    });

    test('an issued card: the card and just enough of its holder to greet them', async () => {
      const resident = await registerResident(t, { name: '李秀兰' });
      const card = await issueCard(t, resident.id);
      const res = await tap('desk-2', { uid: card.uid.toLowerCase() });
      expect(res.status).toBe(202);
      expect(res.body.card).toEqual({ ...card, resident: { id: resident.id, name: '李秀兰', idNumberMasked: resident.idNumberMasked } });
      expect(JSON.stringify(res.body)).not.toContain(resident.sent.idNumber);
    });

    test('a card reported lost and then closed: blank, but retired, so the console refuses to issue it', async () => {
      const resident = await registerResident(t);
      const card = await issueCard(t, resident.id);
      await t.http.post(`/v1/cards/${card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' }).expect(200);
      await t.http.post(`/v1/cards/${card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', `close-${card.id}`).expect(200);
      const res = await tap('S1', { uid: card.uid });
      expect(res.body).toMatchObject({ card: null, retired: true });
    });

    test('a replaced card still shows, as replaced', async () => {
      const resident = await registerResident(t);
      const card = await issueCard(t, resident.id);
      await t.http.post(`/v1/cards/${card.id}/replace`).set(bearer(TEST_ADMIN_KEY)).send({ uid: cardUid(), reason: 'damaged' }).expect(201);
      expect((await tap('S1', { uid: card.uid })).body.card).toMatchObject({ id: card.id, status: 'replaced' });
    });

    test.each([
      ['a UID of 5 bytes', { uid: '0102030405' }],
      ['a UID that is not hex', { uid: '04A1B2C3D4E5ZZ' }],
      ['a number', { uid: 4 }],
      ['no UID', {}],
      ['an unknown field', { uid: cardUid(), reader: 'ACR122U' }],
    ])('%s: 400 validation_failed', async (_, body) => {
      expectError(await tap('S1', body), 400, 'validation_failed');
    });

    test.each([['S 1'], ['-S1'], ['a'.repeat(33)], ['S1%2F..'], ['站1']])('station id %j: 400 validation_failed', async (station) => {
      expectError(await tap(encodeURIComponent(station).replace(/%25/g, '%'), { uid: cardUid() }), 400, 'validation_failed');
    });

    test('operators and admins may report taps; other keys may not', async () => {
      const res = await t.http.post('/v1/stations/S1/taps').send({ uid: cardUid() });
      expectError(res, 401, 'unauthorized');
      expect((await tap('S1', { uid: cardUid() }, TEST_ADMIN_KEY)).status).toBe(202);
      for (const role of ['merchant', 'door', 'auditor'] as const) {
        expectError(await tap('S1', { uid: cardUid() }, (await apiKey(t, role)).key), 403, 'forbidden');
      }
    });
  });

  describe('GET /v1/stations/:id/events', () => {
    test('an event stream that says when it is listening, then brings each tap of its station within half a second', async () => {
      const s = await watch('S1');
      expect(s.status).toBe(200);
      expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(s.headers.get('cache-control')).toBe('no-store');
      expect((await s.next('ready')).data).toEqual({ station: 'S1' });

      const uid = cardUid();
      const sent = Date.now();
      const answer = await tap('S1', { uid });
      const event = await s.next('tap', TAP_DEADLINE_MS);
      expect(Date.now() - sent).toBeLessThan(TAP_DEADLINE_MS);
      expect(event.data).toEqual(answer.body);
    });

    test('every console of the station gets the tap, and no other station does', async () => {
      const [a, b, other] = await Promise.all([watch('S1'), watch('S1'), watch('S2')]);
      await Promise.all([a.next('ready'), b.next('ready'), other.next('ready')]);
      const uid = cardUid();
      await tap('S1', { uid }).expect(202);
      expect((await a.next('tap')).data).toMatchObject({ uid });
      expect((await b.next('tap')).data).toMatchObject({ uid });
      expect(await other.collect('tap', 300)).toEqual([]);
    });

    test('taps come in the order they were reported', async () => {
      const s = await watch('S3');
      await s.next('ready');
      const uids = [cardUid(), cardUid(), cardUid()];
      for (const uid of uids) await tap('S3', { uid }).expect(202);
      const got = [];
      for (let i = 0; i < uids.length; i++) got.push(((await s.next('tap')).data as { uid: string }).uid);
      expect(got).toEqual(uids);
    });

    test('no key: 401 before any stream starts; the key in the query string is not accepted either', async () => {
      const none = await openStream(base, 'S1');
      streams.push(none);
      expect(none.status).toBe(401);
      const inUrl = await openStream(base, 'S1', undefined, `/v1/stations/S1/events?key=${operator.key}`);
      streams.push(inUrl);
      expect(inUrl.status).toBe(401);
    });

    test('keys of other roles: 403; a bad station id: 400', async () => {
      for (const role of ['merchant', 'auditor'] as const) expect((await watch('S1', (await apiKey(t, role)).key)).status).toBe(403);
      expect((await watch('S%201')).status).toBe(400);
    });

    test('revoking the key ends its stream at once, with a reason the console can act on', async () => {
      const desk = await apiKey(t, 'operator');
      const s = await watch('S1', desk.key);
      await s.next('ready');
      await t.http.delete(`/v1/api-keys/${desk.id}`).set(bearer(TEST_ADMIN_KEY)).expect(204);
      expect((await s.next('end')).data).toEqual({ code: 'unauthorized' });
      await s.ended;
    });
  });
});

describe('several instances on one PostgreSQL server', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test('a tap reported to one instance reaches a console connected to another (NOTIFY)', async () => {
    a = await startTestApp();
    if (a.db.mode !== 'server') {
      console.log('skipped: the embedded database serves one instance only, where taps are fanned out in memory');
      return;
    }
    b = await startTestApp({ db: a.db });
    await listening(b);
    const s = await openStream(`http://127.0.0.1:${(b.app.getHttpServer().address() as AddressInfo).port}`, 'S9', TEST_ADMIN_KEY);
    try {
      await s.next('ready');
      const uid = cardUid();
      await a.http.post('/v1/stations/S9/taps').set(bearer(TEST_ADMIN_KEY)).send({ uid }).expect(202);
      expect((await s.next('tap', TAP_DEADLINE_MS)).data).toMatchObject({ station: 'S9', uid, card: null });
    } finally {
      s.close();
    }
  });
});
