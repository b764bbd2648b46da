import { Logger } from '@nestjs/common';
import { hashApiKey } from '../src/auth/api-key-secret';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { bearer, startTestApp, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { readTestEnv } from './support/test-env';

const KEY_IN_TEXT = /cck_[A-Za-z0-9_-]+/g;

/** Runs `work` while capturing (and swallowing) everything written to stdout. */
async function capturingStdout<T>(work: () => Promise<T>): Promise<{ result: T; printed: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  });
  try {
    const result = await work();
    return { result, printed: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** The keys printed in `text`. */
const printedKeys = (text: string): string[] => text.match(KEY_IN_TEXT) ?? [];

/** Without ADMIN_API_KEY, on the given database. */
const startWithoutAdminKey = (db: TestDatabase) => startTestApp({ db, config: { adminApiKey: undefined } });

async function actsAsAdmin(t: TestApp, key: string): Promise<{ createKey: number; verify: number }> {
  const created = await t.http.post('/v1/api-keys').set(bearer(key)).send({ role: 'auditor', name: 'made by a bootstrap admin' });
  const verified = await t.http.get('/v1/ledger/verify').set(bearer(key));
  return { createKey: created.status, verify: verified.status };
}
const ADMIN = { createKey: 201, verify: 200 };

describe('without ADMIN_API_KEY', () => {
  let db: TestDatabase;
  let t: TestApp | undefined;
  let generated: string;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('the first start on a fresh database prints exactly one key on stdout, and it is an admin key', async () => {
    const { result, printed } = await capturingStdout(() => startWithoutAdminKey(db));
    t = result;
    const keys = printedKeys(printed);
    expect(keys).toHaveLength(1);
    generated = keys[0]!;
    expect(generated).toMatch(/^cck_[A-Za-z0-9_-]{43}$/);

    expect(await actsAsAdmin(t, generated)).toEqual(ADMIN);
    const admins = await t.knex('api_keys').where({ role: 'admin' }).whereNull('revoked_at').select('key_hash', 'key_prefix', 'name');
    expect(admins).toEqual([{ key_hash: hashApiKey(generated), key_prefix: generated.slice(0, 10), name: 'bootstrap admin (generated)' }]);
  });

  test('the key is printed as a plain line, and never passed to the logger', async () => {
    // Nest buffers logger calls until listen(), and nestjs-pino keeps one out-of-request logger
    // per process, so the logger's calls are watched here rather than its output.
    const other = await createTestDatabase();
    const levels = ['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const;
    const spies = levels.map((level) => jest.spyOn(Logger.prototype, level));
    let app: TestApp | undefined;
    try {
      const { result, printed } = await capturingStdout(() => startWithoutAdminKey(other));
      app = result;
      const keys = printedKeys(printed);
      expect(keys).toHaveLength(1);
      const key = keys[0]!;
      expect(printed).toContain(`Admin API key (shown once; keep it safe): ${key}\n`);
      expect(printed).not.toMatch(/^\{/m);
      const logged = spies.flatMap((spy) => spy.mock.calls.map((args) => JSON.stringify(args)));
      expect(logged.some((line) => line.includes('bootstrap admin'))).toBe(true);
      expect(logged.filter((line) => line.includes(key) || line.includes(key.slice(4, 20)))).toEqual([]);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
      await app?.close();
      await other.drop();
    }
  });

  test('a second start on the same database prints nothing, and the first key still works', async () => {
    expect(generated).toBeDefined();
    const { result, printed } = await capturingStdout(() => startWithoutAdminKey(db));
    t = result;
    expect(printedKeys(printed)).toEqual([]);
    expect(await actsAsAdmin(t, generated)).toEqual(ADMIN);
    expect(await t.knex('api_keys').where({ name: 'bootstrap admin (generated)' }).count<{ n: string }[]>('* as n')).toEqual([{ n: '1' }]);
  });

  test('a later start with ADMIN_API_KEY adds that key, prints nothing, and keeps the generated one', async () => {
    expect(generated).toBeDefined();
    const configured = 'cck_configured-admin-key-for-the-bootstrap-test';
    const { result, printed } = await capturingStdout(() => startTestApp({ db, config: { adminApiKey: configured } }));
    t = result;
    expect(printedKeys(printed)).toEqual([]);
    expect(await actsAsAdmin(t, configured)).toEqual(ADMIN);
    expect(await actsAsAdmin(t, generated)).toEqual(ADMIN);
  });
});

describe('with ADMIN_API_KEY', () => {
  const configured = 'cck_operator-chosen-admin-key-0123456789';
  let db: TestDatabase;
  let t: TestApp | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('on a fresh database the configured key is an admin key, and no key is generated or printed', async () => {
    const { result, printed } = await capturingStdout(() => startTestApp({ db, config: { adminApiKey: configured } }));
    t = result;
    expect(printedKeys(printed)).toEqual([]);
    expect(await actsAsAdmin(t, configured)).toEqual(ADMIN);
    const admins = await t.knex('api_keys').where({ role: 'admin' }).select('key_hash', 'name');
    expect(admins).toEqual([{ key_hash: hashApiKey(configured), name: 'bootstrap admin (ADMIN_API_KEY)' }]);
  });

  test('starting again with the same key stores it once, and it keeps working', async () => {
    const { result, printed } = await capturingStdout(() => startTestApp({ db, config: { adminApiKey: configured } }));
    t = result;
    expect(printed).not.toContain(configured);
    expect(await actsAsAdmin(t, configured)).toEqual(ADMIN);
    expect(await t.knex('api_keys').where({ key_hash: hashApiKey(configured) }).count<{ n: string }[]>('* as n')).toEqual([{ n: '1' }]);
  });

  test('starting without it afterwards generates nothing: the database already has an admin', async () => {
    const { result, printed } = await capturingStdout(() => startWithoutAdminKey(db));
    t = result;
    expect(printedKeys(printed)).toEqual([]);
    expect(await actsAsAdmin(t, configured)).toEqual(ADMIN);
    expect(await t.knex('api_keys').where({ name: 'bootstrap admin (generated)' })).toEqual([]);
  });

  test('the key is read from the environment variable ADMIN_API_KEY', () => {
    expect(loadConfig({ ADMIN_API_KEY: configured }).adminApiKey).toBe(configured);
    expect(loadConfig({ ADMIN_API_KEY: '' }).adminApiKey).toBeUndefined();
    expect(loadConfig({}).adminApiKey).toBeUndefined();
  });

  test('a key shorter than 24 characters is refused at start', () => {
    expect(() => loadConfig({ ADMIN_API_KEY: 'too-short-admin-key' })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_API_KEY: 'too-short-admin-key' })).toThrow(/ADMIN_API_KEY/);
  });

  // The guard only reads keys of 1-255 printable ASCII characters without spaces
  // (src/auth/auth.guard.ts:11); a configured key it could never read is refused at start.
  test.each([
    ['with spaces', 'correct horse battery staple admin key'],
    ['of 256 characters', `cck_${'k'.repeat(252)}`],
    ['with non-ASCII characters', 'cck_管理员密钥-0123456789abcdefghij'],
  ])('a configured key %s is refused at start', (_, key) => {
    expect(() => loadConfig({ ADMIN_API_KEY: key })).toThrow(ConfigError);
    expect(() => loadConfig({}, { adminApiKey: key })).toThrow(/ADMIN_API_KEY/);
  });

  test('a configured key of 255 characters is accepted and works', async () => {
    const key = `cck_${'k'.repeat(251)}`;
    const other = await createTestDatabase();
    const app = await startTestApp({ db: other, config: { adminApiKey: key } });
    try {
      expect(await actsAsAdmin(app, key)).toEqual(ADMIN);
    } finally {
      await app.close();
      await other.drop();
    }
  });
});

const serverOnly = readTestEnv().mode === 'server' ? describe : describe.skip;

serverOnly('two instances starting together on a fresh database (server only: PGlite opens a folder once)', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });

  test('print one key between them, and it works on both', async () => {
    const { result, printed } = await capturingStdout(() => Promise.all([startWithoutAdminKey(db), startWithoutAdminKey(db)]));
    apps.push(...result);
    const keys = printedKeys(printed);
    expect(keys).toHaveLength(1);
    for (const app of apps) expect(await actsAsAdmin(app, keys[0]!)).toEqual(ADMIN);
    expect(await apps[0]!.knex('api_keys').where({ role: 'admin' }).count<{ n: string }[]>('* as n')).toEqual([{ n: '1' }]);
  });
});
