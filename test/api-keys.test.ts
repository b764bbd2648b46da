import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ROLES, type Role } from '../src/auth/roles';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { door as createDoor } from './support/doors';
import { apiKey, merchant } from './support/factories';

let t: TestApp;
/** A request body per role; the merchant's and doors' ids are filled in once they exist. */
const bodies: Record<Role, Record<string, unknown>> = {
  admin: { role: 'admin', name: 'second admin' },
  operator: { role: 'operator', name: 'Desk 3, Lujiazui service centre' },
  merchant: { role: 'merchant', name: 'canteen till 1', merchantId: undefined },
  door: { role: 'door', name: 'gate controller', doorIds: undefined },
  auditor: { role: 'auditor', name: '审计 district auditor' },
};
/** Everything the app logged, to check that keys never reach a log line. */
const logLines: string[] = [];

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await startTestApp({ config: { logLevel: 'info' }, logStream });
  bodies.merchant.merchantId = (await merchant(t)).id;
  bodies.door.doorIds = [(await createDoor(t, '金杨新村')).id, (await createDoor(t, '金杨新村', '12号楼')).id];
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const countKeys = async () => Number((await t.knex('api_keys').count<{ count: string }[]>('* as count'))[0].count);

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { statusCode: status, code, message: expect.any(String) } });
}

/** What the key is allowed to do, seen from outside: the admin-only and the auditor calls. */
async function probe(key: string): Promise<{ createKey: number; verify: number }> {
  const create = await t.http.post('/v1/api-keys').set(bearer(key)).send({ role: 'auditor', name: 'probe' });
  const verify = await t.http.get('/v1/ledger/verify').set(bearer(key));
  return { createKey: create.status, verify: verify.status };
}

describe('the bootstrap admin key', () => {
  test('TEST_ADMIN_KEY is an admin key', async () => {
    const res = await t.http.post('/v1/api-keys').set(admin).send({ role: 'auditor', name: 'made by the bootstrap admin' });
    expect(res.status).toBe(201);
    const row = await t.knex('api_keys').where({ id: res.body.id }).first('created_by');
    const bootstrap = await t.knex('api_keys').where({ name: 'bootstrap admin (ADMIN_API_KEY)' }).first('id', 'role');
    expect(bootstrap.role).toBe('admin');
    expect(row.created_by).toBe(bootstrap.id);
  });
});

describe('POST /v1/api-keys', () => {
  /** What each role may do among the calls that exist: admin creates keys; auditor and admin verify. */
  const allowed: Record<Role, { createKey: number; verify: number }> = {
    admin: { createKey: 201, verify: 200 },
    operator: { createKey: 403, verify: 403 },
    merchant: { createKey: 403, verify: 403 },
    door: { createKey: 403, verify: 403 },
    auditor: { createKey: 403, verify: 200 },
  };

  test('the test covers every role', () => {
    expect(Object.keys(bodies).sort()).toEqual([...ROLES].sort());
  });

  test.each(ROLES.map((r) => [r]))('creates a %s key that works for its role and is stored only as a hash', async (role) => {
    const before = await countKeys();
    const res = await t.http.post('/v1/api-keys').set(admin).send(bodies[role]);
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), role, name: bodies[role].name, key: expect.stringMatching(/^cck_[A-Za-z0-9_-]{43}$/) }),
    );
    if (role === 'merchant') expect(res.body.merchantId).toBe(bodies.merchant.merchantId);
    if (role === 'door') expect([...res.body.doorIds].sort()).toEqual([...(bodies.door.doorIds as string[])].sort());
    expect(await countKeys()).toBe(before + 1);

    const row = await t.knex('api_keys').where({ id: res.body.id }).first();
    expect(row).toEqual(expect.objectContaining({ role, name: bodies[role].name, revoked_at: null }));
    expect(row.merchant_id).toBe(role === 'merchant' ? bodies.merchant.merchantId : null);
    if (role === 'door') expect([...row.door_ids].sort()).toEqual([...(bodies.door.doorIds as string[])].sort());
    else expect(row.door_ids).toBeNull();
    // Only a hash of the key: no column holds the key, nor any long piece of it.
    const secret: string = res.body.key;
    for (const [column, value] of Object.entries(row)) {
      const text = value instanceof Date ? value.toISOString() : JSON.stringify(value) ?? '';
      expect({ column, holdsKey: text.includes(secret) || text.includes(secret.slice(4, 24)) }).toEqual({ column, holdsKey: false });
    }

    expect(await probe(secret)).toEqual(allowed[role]);
  });

  test('the key is shown only in the creation answer: never in a later answer or a log line', async () => {
    const created = await t.http.post('/v1/api-keys').set(admin).send({ role: 'auditor', name: 'shown once' });
    expect(created.status).toBe(201);
    const secret: string = created.body.key;
    const used = await t.http.get('/v1/ledger/verify').set(bearer(secret));
    expect(used.status).toBe(200);
    const revoked = await t.http.delete(`/v1/api-keys/${created.body.id}`).set(admin);
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    expect(JSON.stringify(used.body)).not.toContain(secret);
    // The request log is on (logLevel info), and it redacts the Authorization header.
    const log = logLines.join('');
    expect(log).toContain('/v1/ledger/verify');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(TEST_ADMIN_KEY);
  });

  test('two keys created with the same body are different keys', async () => {
    const a = await apiKey(t, 'operator');
    const b = await apiKey(t, 'operator');
    expect(a.id).not.toBe(b.id);
    expect(a.key).not.toBe(b.key);
  });

  test('door ids are stored once each, whatever their case', async () => {
    const door = (await createDoor(t, '潍坊新村')).id;
    const res = await t.http.post('/v1/api-keys').set(admin).send({ role: 'door', name: 'dup doors', doorIds: [door, door.toUpperCase()] });
    expect(res.status).toBe(201);
    expect(res.body.doorIds).toEqual([door]);
    const row = await t.knex('api_keys').where({ id: res.body.id }).first('door_ids');
    expect(row.door_ids).toEqual([door]);
  });

  test('a merchant key for a merchant that does not exist: 404 merchant_not_found, nothing stored', async () => {
    const before = await countKeys();
    expectError(await t.http.post('/v1/api-keys').set(admin).send({ role: 'merchant', name: 'x', merchantId: randomUUID() }), 404, 'merchant_not_found');
    expect(await countKeys()).toBe(before);
  });

  describe('bad input: 400 validation_failed naming the field, and nothing stored', () => {
    const door = randomUUID();
    const merchant = randomUUID();
    const cases: [string, unknown, string][] = [
      ['missing role', { name: 'x' }, 'role'],
      ['unknown role', { role: 'superuser', name: 'x' }, 'role'],
      ['role in another case', { role: 'Admin', name: 'x' }, 'role'],
      ['role as a number', { role: 1, name: 'x' }, 'role'],
      ['missing name', { role: 'operator' }, 'name'],
      ['empty name', { role: 'operator', name: '' }, 'name'],
      ['blank name', { role: 'operator', name: '   ' }, 'name'],
      ['name too long', { role: 'operator', name: 'n'.repeat(201) }, 'name'],
      ['name with a control character', { role: 'operator', name: 'a\nb' }, 'name'],
      ['name as a number', { role: 'operator', name: 12345 }, 'name'],
      ['name as an array', { role: 'operator', name: ['x'] }, 'name'],
      ['unknown field', { role: 'operator', name: 'x', scope: 'all' }, 'scope'],
      ['merchant without merchantId', { role: 'merchant', name: 'x' }, 'merchantId'],
      ['merchant with a null merchantId', { role: 'merchant', name: 'x', merchantId: null }, 'merchantId'],
      ['merchant with a non-uuid merchantId', { role: 'merchant', name: 'x', merchantId: 'shop-1' }, 'merchantId'],
      ['merchantId as a number', { role: 'merchant', name: 'x', merchantId: 42 }, 'merchantId'],
      ['door without doorIds', { role: 'door', name: 'x' }, 'doorIds'],
      ['door with [] doorIds', { role: 'door', name: 'x', doorIds: [] }, 'doorIds'],
      ['door with a non-uuid id', { role: 'door', name: 'x', doorIds: [door, 'front-gate'] }, 'doorIds'],
      ['door with a number id', { role: 'door', name: 'x', doorIds: [7] }, 'doorIds'],
      ['doorIds as a string', { role: 'door', name: 'x', doorIds: door }, 'doorIds'],
      ['merchantId on an operator key', { role: 'operator', name: 'x', merchantId: merchant }, 'merchantId'],
      ['merchantId on a door key', { role: 'door', name: 'x', doorIds: [door], merchantId: merchant }, 'merchantId'],
      ['doorIds on an auditor key', { role: 'auditor', name: 'x', doorIds: [door] }, 'doorIds'],
      ['doorIds on a merchant key', { role: 'merchant', name: 'x', merchantId: merchant, doorIds: [door] }, 'doorIds'],
      ['a JSON array', [{ role: 'operator', name: 'x' }], ''],
      ['a JSON string', 'operator', ''],
      ['a JSON null', null, ''],
    ];

    test.each(cases)('%s', async (_, body, field) => {
      const before = await countKeys();
      const res = await t.http
        .post('/v1/api-keys')
        .set(admin)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expectError(res, 400, 'validation_failed');
      if (field) expect(res.body.message).toContain(field);
      expect(await countKeys()).toBe(before);
    });
  });
});

describe('DELETE /v1/api-keys/:id', () => {
  test('204, and the revoked key gets 401 on its very next call', async () => {
    const auditor = await apiKey(t, 'auditor');
    expect((await t.http.get('/v1/ledger/verify').set(bearer(auditor.key))).status).toBe(200);

    const res = await t.http.delete(`/v1/api-keys/${auditor.id}`).set(admin);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expectError(await t.http.get('/v1/ledger/verify').set(bearer(auditor.key)), 401, 'unauthorized');
    const row = await t.knex('api_keys').where({ id: auditor.id }).first('revoked_at');
    expect(row.revoked_at).toBeInstanceOf(Date);
  });

  test('a revoked admin key can no longer create keys', async () => {
    const second = await apiKey(t, 'admin');
    expect((await t.http.delete(`/v1/api-keys/${second.id}`).set(admin)).status).toBe(204);
    const before = await countKeys();
    expectError(await t.http.post('/v1/api-keys').set(bearer(second.key)).send({ role: 'admin', name: 'x' }), 401, 'unauthorized');
    expect(await countKeys()).toBe(before);
  });

  test('an admin key may revoke itself, and is refused right after', async () => {
    const self = await apiKey(t, 'admin');
    expect((await t.http.delete(`/v1/api-keys/${self.id}`).set(bearer(self.key))).status).toBe(204);
    expectError(await t.http.delete(`/v1/api-keys/${self.id}`).set(bearer(self.key)), 401, 'unauthorized');
  });

  test('revoking only touches the named key', async () => {
    const a = await apiKey(t, 'auditor');
    const b = await apiKey(t, 'auditor');
    expect((await t.http.delete(`/v1/api-keys/${a.id}`).set(admin)).status).toBe(204);
    expect((await t.http.get('/v1/ledger/verify').set(bearer(b.key))).status).toBe(200);
    expect((await t.http.get('/v1/ledger/verify').set(bearer(TEST_ADMIN_KEY))).status).toBe(200);
  });

  test('revoking a key twice is harmless and keeps the first revocation time', async () => {
    const k = await apiKey(t, 'operator');
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(admin)).status).toBe(204);
    const first = await t.knex('api_keys').where({ id: k.id }).first('revoked_at');
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(admin)).status).toBe(204);
    const second = await t.knex('api_keys').where({ id: k.id }).first('revoked_at');
    expect(second.revoked_at).toEqual(first.revoked_at);
  });

  test('an unknown uuid: 404 api_key_not_found', async () => {
    expectError(await t.http.delete(`/v1/api-keys/${randomUUID()}`).set(admin), 404, 'api_key_not_found');
  });

  test.each([['not-a-uuid'], ['123'], ['00000000-0000-0000-0000-00000000000g'], [`${randomUUID()}x`]])('a malformed id %s: 400 validation_failed', async (id) => {
    const res = await t.http.delete(`/v1/api-keys/${id}`).set(admin);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('id');
  });

  test.each([['operator'], ['merchant'], ['door'], ['auditor']] as [Role][])('a %s key gets 403 and revokes nothing', async (role) => {
    const victim = await apiKey(t, 'auditor');
    const caller = await apiKey(t, role);
    expectError(await t.http.delete(`/v1/api-keys/${victim.id}`).set(bearer(caller.key)), 403, 'forbidden');
    expect((await t.knex('api_keys').where({ id: victim.id }).first('revoked_at')).revoked_at).toBeNull();
  });

  test('without a key: 401, and nothing revoked', async () => {
    const victim = await apiKey(t, 'auditor');
    expectError(await t.http.delete(`/v1/api-keys/${victim.id}`), 401, 'unauthorized');
    expect((await t.knex('api_keys').where({ id: victim.id }).first('revoked_at')).revoked_at).toBeNull();
  });
});

describe('who may create keys', () => {
  test.each([['operator'], ['merchant'], ['door'], ['auditor']] as [Role][])('a %s key gets 403 forbidden and creates nothing', async (role) => {
    const caller = await apiKey(t, role);
    const before = await countKeys();
    const res = await t.http.post('/v1/api-keys').set(bearer(caller.key)).send({ role: 'admin', name: 'escalation' });
    expectError(res, 403, 'forbidden');
    expect(await countKeys()).toBe(before);
  });

  test('a non-admin key with bad input still gets 403, not 400', async () => {
    const caller = await apiKey(t, 'operator');
    expectError(await t.http.post('/v1/api-keys').set(bearer(caller.key)).send({ role: 'nope' }), 403, 'forbidden');
  });

  test('no Authorization header: 401 unauthorized, before any validation', async () => {
    const before = await countKeys();
    expectError(await t.http.post('/v1/api-keys').send({ role: 'admin', name: 'anonymous' }), 401, 'unauthorized');
    expectError(await t.http.post('/v1/api-keys').send({ role: 'nope' }), 401, 'unauthorized');
    expect(await countKeys()).toBe(before);
  });

  const malformed: [string, string][] = [
    ['an empty header', ''],
    ['the key without a scheme', TEST_ADMIN_KEY],
    ['another scheme', `Basic ${Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64')}`],
    ['Bearer without a key', 'Bearer '],
    ['Bearer and two words', `Bearer ${TEST_ADMIN_KEY} extra`],
    ['two spaces', `Bearer  ${TEST_ADMIN_KEY}`],
    ['the admin key with one character changed', `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}q`],
    ['the admin key cut short', `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}`],
    ['the admin key with a suffix', `Bearer ${TEST_ADMIN_KEY}x`],
    ['an unknown well-formed key', 'Bearer cck_0000000000000000000000000000000000000000000'],
    ['an over-long key', `Bearer ${'a'.repeat(300)}`],
  ];

  test.each(malformed)('%s: 401 unauthorized, nothing created', async (_, header) => {
    const before = await countKeys();
    const res = await t.http.post('/v1/api-keys').set('Authorization', header).send({ role: 'admin', name: 'x' });
    expectError(res, 401, 'unauthorized');
    expect(await countKeys()).toBe(before);
  });

  test('the scheme is case-insensitive (RFC 9110)', async () => {
    expect((await t.http.get('/v1/ledger/verify').set('Authorization', `bearer ${TEST_ADMIN_KEY}`)).status).toBe(200);
  });

  test('the stored hash itself is not a key', async () => {
    const row = await t.knex('api_keys').where({ name: 'bootstrap admin (ADMIN_API_KEY)' }).first('key_hash');
    expectError(await t.http.get('/v1/ledger/verify').set(bearer(row.key_hash)), 401, 'unauthorized');
  });
});
