import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { expectError, registerResident } from './support/residents';

describe('what the desk console needs from the service', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await startTestApp();
    operator = (await apiKey(t, 'operator')).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('the console itself, at /desk', () => {
    test('/desk redirects to /desk/, which serves the page without a key', async () => {
      const redirect = await t.http.get('/desk');
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe('/desk/');
      const page = await t.http.get('/desk/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<script type="module" src="/desk/js/main.js">');
    });

    test('every file is revalidated, and the page may run only its own scripts and talk only to this service', async () => {
      for (const path of ['/desk/', '/desk/index.html', '/desk/js/main.js', '/desk/desk.css']) {
        const res = await t.http.get(path);
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('no-cache');
        expect(res.headers.etag).toBeDefined();
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['content-security-policy']).toContain("script-src 'self'");
        expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
      expect((await t.http.get('/desk/js/main.js')).headers['content-type']).toMatch(/javascript/);
      const again = await t.http.get('/desk/js/main.js').set('If-None-Match', (await t.http.get('/desk/js/main.js')).headers.etag);
      expect(again.status).toBe(304);
    });

    test('nothing outside desk/public is reachable, and unknown files are 404', async () => {
      for (const path of ['/desk/../package.json', '/desk/%2e%2e/package.json', '/desk/..%2fpackage.json', '/desk/tsconfig.json', '/desk/nope.js']) {
        const res = await t.http.get(path);
        expect([400, 403, 404]).toContain(res.status);
        expect(res.text).not.toContain('"devDependencies"');
      }
    });
  });

  describe('GET /v1/desk/me', () => {
    test('names the desk key that signed in', async () => {
      const res = await t.http.get('/v1/desk/me').set(bearer(operator));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'operator for tests', role: 'operator' });
    });

    test('refuses keys the desk cannot use', async () => {
      expectError(await t.http.get('/v1/desk/me'), 401, 'unauthorized');
      expectError(await t.http.get('/v1/desk/me').set(bearer('cck_not-a-real-key-0123456789abcdef')), 401, 'unauthorized');
      expectError(await t.http.get('/v1/desk/me').set(bearer((await apiKey(t, 'auditor')).key)), 403, 'forbidden');
    });
  });

  describe('POST /v1/desk/residents/search', () => {
    const search = (name: unknown, key = operator) => t.http.post('/v1/desk/residents/search').set(bearer(key)).send({ name });

    test('finds residents by any part of the name, the exact name first, masked as everywhere', async () => {
      const tag = `${Date.now() % 100000}`;
      const exact = await registerResident(t, { name: `王${tag}` });
      const longer = await registerResident(t, { name: `王${tag}芳` });
      await registerResident(t, { name: `赵${tag}` });
      const res = await search(`王${tag}`);
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: { id: string }) => r.id)).toEqual([exact.id, longer.id]);
      const { sent, ...view } = exact;
      expect(res.body.items[0]).toEqual(view);
      expect(JSON.stringify(res.body)).not.toContain(sent.phone!);
      expect(JSON.stringify(res.body)).not.toContain(exact.sent.idNumber);
      expect((await search(`${tag}芳`)).body.items.map((r: { id: string }) => r.id)).toEqual([longer.id]);
    });

    test('% and _ are plain characters, not wildcards', async () => {
      await registerResident(t, { name: '陈_明' });
      expect((await search('%')).body.items).toEqual([]);
      expect((await search('陈_')).body.items.map((r: { name: string }) => r.name)).toEqual(['陈_明']);
      expect((await search('陈%')).body.items).toEqual([]);
    });

    test('at most 20 answers', async () => {
      for (let i = 0; i < 22; i++) await registerResident(t, { name: `孙多多${i}` });
      expect((await search('孙多多')).body.items).toHaveLength(20);
    });

    test.each([[''], ['   '], [5], ['a'.repeat(101)], ['tab\there']])('name %j: 400 validation_failed', async (name) => {
      expectError(await search(name), 400, 'validation_failed');
    });

    test('operators and admins only', async () => {
      expect((await search('王', TEST_ADMIN_KEY)).status).toBe(200);
      expectError(await search('王', (await apiKey(t, 'merchant')).key), 403, 'forbidden');
    });
  });
});
