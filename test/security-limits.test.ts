import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import type TestAgent from 'supertest/lib/agent';
import { door, doorKey } from './support/doors';
import { listening } from './support/residents';
import { holder, moneyState, pay, terminal, type Holder, type Terminal } from './support/money';

/** Per-key rate limits and the security headers, on Nest's routes and on the lane alike. */
const LIMIT = 10;
const nextWindow = () => new Promise((r) => setTimeout(r, 1100));
let t: TestApp;
let shop: Terminal;
let other: Terminal;
let card: Holder;
let doorId: string;
let doorHeaders: Record<string, string>;
/** Bursts need a listening server: supertest would otherwise open and close one per request. */
let http: TestAgent;
beforeAll(async () => {
  t = await startTestApp({ config: { rateLimitPerSecond: LIMIT } });
  http = await listening(t);
  shop = await terminal(t);
  await nextWindow(); // the setup's own calls spend the admin key's budget
  other = await terminal(t);
  card = await holder(t, '100.00');
  await nextWindow();
  doorId = (await door(t)).id;
  doorHeaders = await doorKey(t, doorId);
  await nextWindow();
});
afterAll(() => t.close());

const statuses = (rs: { status: number }[]) => rs.map((r) => r.status);

describe('security headers', () => {
  const common = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };

  test('on a JSON answer from Nest: no sniffing, no framing, nothing cached, no content allowed to run', async () => {
    const res = await t.http.get('/health');
    expect(res.headers).toMatchObject(common);
    expect(res.headers['cache-control']).toMatch(/no-store/);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  test('on a lane answer, success or error', async () => {
    const ok = await t.http.post('/v1/access/check').set(doorHeaders).send({ doorId, uid: '04A1B2C3' });
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ ...common, 'cache-control': 'no-store' });
    const refused = await t.http.post('/v1/payments').send({});
    expect(refused.status).toBe(401);
    expect(refused.headers).toMatchObject(common);
  });

  test('the desk console may load its own scripts and nothing else', async () => {
    const res = await t.http.get('/desk/');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject(common);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});

describe('rate limit per key', () => {
  test('a burst over the limit on the payment lane: the excess gets 429 with Retry-After, moves nothing, and the key can retry later', async () => {
    const before = await moneyState(t);
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => pay(http, shop.key, { uid: card.card.uid, amount: '1.00' }, { idem: `burst-${i}` })));
    const refused = burst.filter((r) => r.status === 429);
    const approved = burst.filter((r) => r.status === 201);
    expect(refused.length).toBeGreaterThan(0);
    expect(approved.length + refused.length).toBe(100);
    for (const r of refused) {
      expect(r.body).toMatchObject({ statusCode: 429, code: 'too_many_requests' });
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    const after = await moneyState(t);
    expect(after.payments.length - before.payments.length).toBe(approved.length);

    // A refused request claimed nothing: the same key, sent again once the window has passed, executes.
    const retryIdem = `burst-${burst.findIndex((r) => r.status === 429)}`;
    await nextWindow();
    const retried = await pay(http, shop.key, { uid: card.card.uid, amount: '1.00' }, { idem: retryIdem });
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  test("one key's burst does not spend another key's budget", async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => pay(http, shop.key, { uid: card.card.uid, amount: '0.10' }, { idem: `noise-${i}` })));
    const res = await pay(http, other.key, { uid: card.card.uid, amount: '0.10' }, { idem: 'other-1' });
    expect(res.status).toBe(201);
  });

  test("Nest's routes count the same per-key budget (a desk key reading in a burst)", async () => {
    const burst = await Promise.all(Array.from({ length: 100 }, () => http.get(`/v1/cards/${card.card.id}`).set(bearer(TEST_ADMIN_KEY))));
    expect(statuses(burst)).toContain(429);
    expect(statuses(burst).filter((s) => s !== 429 && s !== 200)).toEqual([]);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.body.code).toBe('too_many_requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  test('a wrong key is still 401, never 429, however many times it is sent', async () => {
    const burst = await Promise.all(Array.from({ length: 20 }, () => http.get(`/v1/cards/${card.card.id}`).set(bearer('cck_not-a-key-0123456789abcdefghijklmnop'))));
    expect(new Set(statuses(burst))).toEqual(new Set([401]));
  });
});
