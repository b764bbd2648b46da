import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { check, door, doorKey } from './support/doors';
import { terminal } from './support/money';
import { expectError, issueCard, registerResident } from './support/residents';

/**
 * The lane answers door checks and payments in front of Fastify; these pin that it
 * keeps the rules every other route has, and leaves every other request alone.
 */
let t: TestApp;
let doorHeaders: Record<string, string>;
let payHeaders: Record<string, string>;
let doorId: string;
beforeAll(async () => {
  t = await startTestApp();
  doorId = (await door(t, '三林苑')).id;
  doorHeaders = await doorKey(t, doorId);
  payHeaders = { ...bearer((await terminal(t)).key), 'Idempotency-Key': 'lane-test' };
});
afterAll(() => t.close());

const routes = [
  ['/v1/access/check', () => doorHeaders],
  ['/v1/payments', () => payHeaders],
] as const;

describe.each(routes)('%s on the lane', (path, headersFor) => {
  test('no key: 401 before anything else is looked at', async () => {
    expectError(await t.http.post(path).send({}), 401, 'unauthorized');
  });

  test('a key of the wrong role: 403', async () => {
    expectError(await t.http.post(path).set(bearer(TEST_ADMIN_KEY)).send({}), 403, 'forbidden');
  });

  test('a text/plain body: 415', async () => {
    expectError(await t.http.post(path).set(headersFor()).set('Content-Type', 'text/plain').send('doorId=1'), 415, 'unsupported_media_type');
  });

  test('a body over 64 KiB: 413', async () => {
    expectError(await t.http.post(path).set(headersFor()).send({ pad: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large');
  });

  test('broken JSON: 400 validation_failed naming the body', async () => {
    const res = await t.http.post(path).set(headersFor()).set('Content-Type', 'application/json').send('{"doorId":');
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toMatch(/JSON/);
  });

  test('GET on the same path is not the lane: Fastify answers as for any unknown route', async () => {
    expect((await t.http.get(path).set(headersFor())).status).toBe(404);
  });
});

describe('door check on the lane', () => {
  test('a query string does not take the request off the lane', async () => {
    const resident = await registerResident(t, { address: { community: '三林苑', building: '1号楼' } });
    const card = await issueCard(t, resident.id);
    const res = await t.http.post('/v1/access/check?source=test').set(doorHeaders).send({ doorId, uid: card.uid });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ decision: 'allow', reason: 'ok', cardId: card.id });
  });

  test('unknown fields are refused like everywhere else', async () => {
    const res = await t.http.post('/v1/access/check').set(doorHeaders).send({ doorId, uid: '04A1B2C3', extra: 1 });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('extra');
  });

  test('lane answers are counted in the request duration metric', async () => {
    await check(t, doorHeaders, doorId, '04A1B2C3');
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/v1\/access\/check",status="200"\} [1-9]/);
  });

  test('the OpenAPI document lists the lane routes', async () => {
    const doc = await t.http.get('/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/access/check', '/v1/payments']));
    expect(doc.body.paths['/v1/payments'].post.requestBody.content['application/json'].schema.required).toEqual(['uid', 'amount']);
  });
});

describe('payment on the lane', () => {
  test('without an Idempotency-Key: 400 idempotency_key_required', async () => {
    const shop = await terminal(t);
    expectError(await t.http.post('/v1/payments').set(bearer(shop.key)).send({ uid: '04A1B2C3', amount: '1.00' }), 400, 'idempotency_key_required');
  });
});
