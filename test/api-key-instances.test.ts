import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { PrincipalCache } from '../src/auth/principal-cache';
import { apiKey } from './support/factories';
import { readTestEnv } from './support/test-env';

/** Two instances share a database only on a server; PGlite is one process. */
const onServer = readTestEnv().mode === 'server';

(onServer ? describe : describe.skip)('a revoked key on two instances sharing the database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ db: a.db });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test('stops working on the other instance without waiting for its key cache to expire', async () => {
    const key = await apiKey(a, 'auditor');
    // Both instances have the key cached now.
    expect((await a.http.get('/v1/ledger/verify').set(bearer(key.key))).status).toBe(200);
    expect((await b.http.get('/v1/ledger/verify').set(bearer(key.key))).status).toBe(200);

    // The proof that B heard it, rather than its 1 s cache simply expiring: B forgets the key by id.
    const forgotten = jest.spyOn(b.app.get(PrincipalCache), 'forget');
    expect((await a.http.delete(`/v1/api-keys/${key.id}`).set(bearer(TEST_ADMIN_KEY))).status).toBe(204);
    expect((await a.http.get('/v1/ledger/verify').set(bearer(key.key))).status).toBe(401);

    // B hears the revocation by NOTIFY; poll a bounded number of times rather than time it.
    let status = 0;
    for (let i = 0; i < 200 && status !== 401; i++) {
      status = (await b.http.get('/v1/ledger/verify').set(bearer(key.key))).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 2));
    }
    expect(status).toBe(401);
    for (let i = 0; i < 200 && forgotten.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(forgotten).toHaveBeenCalledWith(key.id);
  });
});
