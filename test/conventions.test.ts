import { randomUUID } from 'node:crypto';
import type { Role } from '../src/auth/roles';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey, fundedWallet } from './support/factories';
import { sealEverything } from './support/seal';

let t: TestApp;
let keys: Record<Role, string>;

beforeAll(async () => {
  t = await startTestApp();
  keys = { admin: TEST_ADMIN_KEY } as Record<Role, string>;
  for (const role of ['operator', 'merchant', 'door', 'auditor'] as const) keys[role] = (await apiKey(t, role)).key;
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const SNAKE = /^[a-z]+(_[a-z]+)*$/;

/** The contract's error body, and nothing else in it. */
function expectError(res: { status: number; body: unknown; headers: Record<string, string> }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ statusCode: status, code, message: expect.any(String) });
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'message', 'statusCode']);
  expect((res.body as { code: string }).code).toMatch(SNAKE);
  expect((res.body as { message: string }).message.length).toBeGreaterThan(0);
}

describe('ops endpoints', () => {
  test('GET /health: 200 {status: ok} without a key', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ status: 'ok' }));
  });

  test('GET /health with an unknown key still answers: it is public', async () => {
    const res = await t.http.get('/health').set(bearer('cck_unknown'));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  test('GET /metrics: 200 Prometheus text with request durations, without a key', async () => {
    await t.http.get('/health');
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} [1-9]/);
  });

  test('GET /metrics labels requests by route pattern, never by the raw URL', async () => {
    const unknownPath = `/no-such-${randomUUID()}`;
    const unknownKey = randomUUID();
    await t.http.get(unknownPath);
    await t.http.delete(`/v1/api-keys/${unknownKey}`).set(admin);
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(unknownPath);
    expect(res.text).not.toContain(unknownKey);
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/api-keys\/:id"[^}]*status="404"[^}]*\} [1-9]/);
  });

  test('GET /docs-json: the OpenAPI document, listing the key routes', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/api-keys', '/v1/api-keys/{id}', '/v1/ledger/verify', '/v1/ledger/transactions']));
    expect(res.body.paths['/v1/api-keys'].post).toBeDefined();
    expect(res.body.paths['/v1/api-keys/{id}'].delete).toBeDefined();
  });

  test('GET /docs: the OpenAPI UI as HTML', async () => {
    const res = await t.http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text.toLowerCase()).toContain('swagger');
  });
});

describe('errors', () => {
  test('an unknown route: 404 not_found', async () => {
    expectError(await t.http.get('/v1/no-such-thing'), 404, 'not_found');
    expectError(await t.http.post('/v1/no-such-thing').set(admin).send({}), 404, 'not_found');
  });

  test('an unknown route is 404 even without a key', async () => {
    expectError(await t.http.get(`/v1/${randomUUID()}`), 404, 'not_found');
  });

  test('invalid JSON: 400 validation_failed, nothing stored', async () => {
    const before = await t.knex('api_keys').count<{ n: string }[]>('* as n');
    const res = await t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send('{"role": "admin", "name": ');
    expectError(res, 400, 'validation_failed');
    expect(await t.knex('api_keys').count<{ n: string }[]>('* as n')).toEqual(before);
  });

  test.each([
    ['a trailing comma', '{"role": "auditor", "name": "x",}'],
    ['single quotes', "{'role': 'auditor', 'name': 'x'}"],
    ['an empty body', ''],
  ])('JSON with %s: 400 validation_failed', async (_, body) => {
    expectError(await t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send(body), 400, 'validation_failed');
  });

  test('a text/plain body: 415 unsupported_media_type, nothing stored', async () => {
    const before = await t.knex('api_keys').count<{ n: string }[]>('* as n');
    const res = await t.http
      .post('/v1/api-keys')
      .set(admin)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ role: 'admin', name: 'sent as text' }));
    expectError(res, 415, 'unsupported_media_type');
    expect(await t.knex('api_keys').count<{ n: string }[]>('* as n')).toEqual(before);
  });

  test('a form body: 415 unsupported_media_type, nothing stored', async () => {
    const before = await t.knex('api_keys').count<{ n: string }[]>('* as n');
    const res = await t.http.post('/v1/api-keys').set(admin).type('form').send('role=auditor&name=sent%20as%20a%20form');
    expect(await t.knex('api_keys').count<{ n: string }[]>('* as n')).toEqual(before);
    expectError(res, 415, 'unsupported_media_type');
  });

  test('a multipart body: 415 unsupported_media_type', async () => {
    const res = await t.http.post('/v1/api-keys').set(admin).field('role', 'auditor').field('name', 'multipart');
    expectError(res, 415, 'unsupported_media_type');
  });

  test('JSON with a __proto__ key: 400 validation_failed, nothing stored', async () => {
    const before = await t.knex('api_keys').count<{ n: string }[]>('* as n');
    const res = await t.http
      .post('/v1/api-keys')
      .set(admin)
      .set('Content-Type', 'application/json')
      .send('{"role": "auditor", "name": "x", "__proto__": {"role": "admin"}}');
    expectError(res, 400, 'validation_failed');
    expect(await t.knex('api_keys').count<{ n: string }[]>('* as n')).toEqual(before);
  });

  test('application/json with a charset is JSON', async () => {
    const res = await t.http
      .post('/v1/api-keys')
      .set(admin)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ role: 'auditor', name: '审计 charset' }));
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('审计 charset');
  });

  test('a body over 64 KiB: 413 payload_too_large, nothing stored', async () => {
    const before = await t.knex('api_keys').count<{ n: string }[]>('* as n');
    const body = JSON.stringify({ role: 'auditor', name: 'big', padding: 'x'.repeat(64 * 1024) });
    const res = await t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send(body);
    expectError(res, 413, 'payload_too_large');
    expect(await t.knex('api_keys').count<{ n: string }[]>('* as n')).toEqual(before);
  });

  test('a body just under 64 KiB is read (and then refused for its unknown field)', async () => {
    const prefix = JSON.stringify({ role: 'auditor', name: 'big', padding: '' });
    const body = prefix.replace('"padding":""', `"padding":"${'x'.repeat(64 * 1024 - prefix.length)}"`);
    expect(Buffer.byteLength(body)).toBe(64 * 1024);
    const res = await t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('padding');
  });

  test('every error answer has exactly statusCode, code and message, with a snake_case code', async () => {
    // One after another: supertest starts the (not yet listening) server for each request.
    const requests = [
      () => t.http.get('/v1/nope'),
      () => t.http.post('/v1/api-keys').send({ role: 'admin', name: 'x' }),
      () => t.http.post('/v1/api-keys').set(bearer('cck_nope')).send({ role: 'admin', name: 'x' }),
      () => t.http.post('/v1/api-keys').set(bearer(keys.operator)).send({ role: 'admin', name: 'x' }),
      () => t.http.post('/v1/api-keys').set(admin).send({ role: 'nope' }),
      () => t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send('{'),
      () => t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'text/plain').send('hello'),
      () => t.http.post('/v1/api-keys').set(admin).set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(70000) })),
      () => t.http.delete('/v1/api-keys/nope').set(admin),
      () => t.http.delete(`/v1/api-keys/${randomUUID()}`).set(admin),
      () => t.http.get('/v1/ledger/transactions?limit=0').set(admin),
      () => t.http.get('/v1/ledger/transactions?cursor=garbage').set(admin),
      () => t.http.get('/v1/ledger/verify').set(bearer(keys.door)),
    ];
    const answers = [];
    for (const send of requests) answers.push(await send());
    expect(answers.map((a) => a.status)).toEqual([404, 401, 401, 403, 400, 400, 415, 413, 400, 404, 400, 400, 403]);
    for (const res of answers) expectError(res, res.status, res.body.code);
  });
});

describe('GET /v1/ledger/verify', () => {
  test('as auditor on an empty ledger: 200 ok with a zero trial balance', async () => {
    const res = await t.http.get('/v1/ledger/verify').set(bearer(keys.auditor));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ ok: true, trialBalance: '0.00', problems: [], transactions: 0, entries: 0 }));
  });

  test.each([['admin'], ['auditor']] as [Role][])('as %s: 200', async (role) => {
    const res = await t.http.get('/v1/ledger/verify').set(bearer(keys[role]));
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
  });

  test.each([['operator'], ['merchant'], ['door']] as [Role][])('as %s: 403 forbidden', async (role) => {
    expectError(await t.http.get('/v1/ledger/verify').set(bearer(keys[role])), 403, 'forbidden');
  });

  test('without a key: 401 unauthorized', async () => {
    expectError(await t.http.get('/v1/ledger/verify'), 401, 'unauthorized');
  });
});

describe('GET /v1/ledger/transactions', () => {
  test.each([['operator'], ['merchant'], ['door']] as [Role][])('as %s: 403 forbidden', async (role) => {
    expectError(await t.http.get('/v1/ledger/transactions').set(bearer(keys[role])), 403, 'forbidden');
  });

  test('without a key: 401 unauthorized', async () => {
    expectError(await t.http.get('/v1/ledger/transactions'), 401, 'unauthorized');
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=', 'limit'],
    ['limit=1e2x', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=garbage', 'cursor'],
    [`cursor=${Buffer.from(JSON.stringify({ after: 'x' })).toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from(JSON.stringify({ after: -1 })).toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from('[]').toString('base64url')}`, 'cursor'],
    ['cursor=', 'cursor'],
    [`cursor=${'a'.repeat(600)}`, 'cursor'],
  ])('?%s: 400 validation_failed naming the parameter', async (query, field) => {
    const res = await t.http.get(`/v1/ledger/transactions?${query}`).set(bearer(keys.auditor));
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
  });

  test('a cursor past the bigint range: 400 validation_failed, not a 5xx', async () => {
    const cursor = Buffer.from(JSON.stringify({ after: '9999999999999999999' })).toString('base64url');
    const res = await t.http.get(`/v1/ledger/transactions?cursor=${cursor}`).set(bearer(keys.auditor));
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('cursor');
  });

  test('a cursor at the largest bigint is a valid, empty page', async () => {
    const cursor = Buffer.from(JSON.stringify({ after: '9223372036854775807' })).toString('base64url');
    const res = await t.http.get(`/v1/ledger/transactions?cursor=${cursor}`).set(bearer(keys.auditor));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  test('?limit=500 and ?limit=1 are accepted', async () => {
    for (const limit of [1, 500]) {
      const res = await t.http.get(`/v1/ledger/transactions?limit=${limit}`).set(bearer(keys.auditor));
      expect(res.status).toBe(200);
    }
  });

  describe('with transactions in the ledger', () => {
    const COUNT = 53;
    let created: string[];

    beforeAll(async () => {
      created = [];
      for (let i = 0; i < COUNT; i++) {
        const { wallet } = await fundedWallet(t.knex, `${i + 1}.5`);
        const row = await t.knex('ledger_entries').where({ account_id: wallet.id }).first('transaction_id');
        created.push(row.transaction_id);
      }
      await sealEverything(t.knex);
    });

    test('the default limit is 50, and the answer is {items, nextCursor}', async () => {
      const res = await t.http.get('/v1/ledger/transactions').set(bearer(keys.auditor));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.items).toHaveLength(50);
      expect(typeof res.body.nextCursor).toBe('string');

      const rest = await t.http.get(`/v1/ledger/transactions?cursor=${encodeURIComponent(res.body.nextCursor)}`).set(bearer(keys.auditor));
      expect(rest.status).toBe(200);
      expect(rest.body.items).toHaveLength(COUNT - 50);
      expect(rest.body.nextCursor).toBeNull();
    });

    test('paging with a small limit visits every transaction once, oldest first', async () => {
      const seen: { id: string; position: string; createdAt: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `limit=7&cursor=${encodeURIComponent(cursor)}` : 'limit=7';
        const res = await t.http.get(`/v1/ledger/transactions?${query}`).set(admin);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(7);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages++;
        expect(pages).toBeLessThanOrEqual(Math.ceil(COUNT / 7) + 1);
      } while (cursor);
      expect(seen.map((s) => s.id)).toEqual(created);
      expect(new Set(seen.map((s) => s.id)).size).toBe(COUNT);
      const positions = seen.map((s) => BigInt(s.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    test('each item carries its postings, balanced, with two-decimal amounts', async () => {
      const res = await t.http.get('/v1/ledger/transactions?limit=3').set(bearer(keys.auditor));
      expect(res.status).toBe(200);
      const first = res.body.items[0];
      expect(first.id).toBe(created[0]);
      expect(first.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect([...first.postings].map((p: { amount: string }) => p.amount).sort()).toEqual(['-1.50', '1.50']);
      for (const item of res.body.items) {
        for (const p of item.postings) expect(p.amount).toMatch(/^-?(0|[1-9][0-9]*)\.[0-9]{2}$/);
        const sum = item.postings.reduce((s: number, p: { amount: string }) => s + Math.round(Number(p.amount) * 100), 0);
        expect(sum).toBe(0);
      }
    });

    test('the ledger still verifies, counting every transaction', async () => {
      const res = await t.http.get('/v1/ledger/verify').set(bearer(keys.auditor));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ ok: true, trialBalance: '0.00', problems: [], transactions: COUNT, entries: 2 * COUNT }));
    });
  });
});
