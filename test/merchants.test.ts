import { randomUUID } from 'node:crypto';
import { merchantAccountId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { terminal, type Terminal } from './support/money';
import { expectError } from './support/residents';
import { ISO, UUID } from './support/shapes';

/** Merchants: created by the admin with a category, read by their own terminals and the back office. */
let t: TestApp;
let keys: { operator: string; auditor: string; door: string };
let shop: Terminal;
let other: Terminal;

beforeAll(async () => {
  t = await startTestApp();
  keys = { operator: (await apiKey(t, 'operator')).key, auditor: (await apiKey(t, 'auditor')).key, door: (await apiKey(t, 'door')).key };
  shop = await terminal(t, 'grocery');
  other = await terminal(t, 'pharmacy');
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);

async function counts() {
  const n = async (table: string) => Number((await t.knex(table).count<{ n: string }[]>('* as n'))[0].n);
  return { merchants: await n('merchants'), accounts: await n('ledger_accounts'), transactions: await n('ledger_transactions') };
}

describe('POST /v1/merchants', () => {
  test('201 {id, name, category}; the merchant gets a ledger account that moves nothing yet', async () => {
    const before = await counts();
    const res = await t.http.post('/v1/merchants').set(admin).send({ name: '金杨社区长者食堂', category: 'canteen' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(UUID), name: '金杨社区长者食堂', category: 'canteen', createdAt: expect.stringMatching(ISO) });
    const account = await t.knex('ledger_accounts').where({ id: merchantAccountId(res.body.id) }).first('owner_type', 'owner_id', 'kind');
    expect(account).toEqual({ owner_type: 'merchant', owner_id: res.body.id, kind: 'merchant' });
    expect(await counts()).toEqual({ merchants: before.merchants + 1, accounts: before.accounts + 1, transactions: before.transactions });
  });

  test.each([['canteen'], ['grocery'], ['pharmacy'], ['barber_shop'], ['a'], ['x'.repeat(32)], ['c2-c']])('category %s is a slug: 201', async (category) => {
    const res = await t.http.post('/v1/merchants').set(admin).send({ name: 'shop', category });
    expect(res.status).toBe(201);
    expect(res.body.category).toBe(category);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no name', { category: 'canteen' }, 'name'],
    ['a blank name', { name: '   ', category: 'canteen' }, 'name'],
    ['a name of control characters only', { name: '\u0001\u0002', category: 'canteen' }, 'name'],
    ['a name that is a number', { name: 42, category: 'canteen' }, 'name'],
    ['a name over 200 characters', { name: 'x'.repeat(201), category: 'canteen' }, 'name'],
    ['no category', { name: 'shop' }, 'category'],
    ['an upper-case category', { name: 'shop', category: 'Canteen' }, 'category'],
    ['a category with a space', { name: 'shop', category: 'can teen' }, 'category'],
    ['an empty category', { name: 'shop', category: '' }, 'category'],
    ['a category of 33 characters', { name: 'shop', category: 'x'.repeat(33) }, 'category'],
    ['a category starting with a digit', { name: 'shop', category: '1shop' }, 'category'],
    ['a category that is an array', { name: 'shop', category: ['canteen'] }, 'category'],
    ['an unknown field', { name: 'shop', category: 'canteen', discount: '5.00' }, 'discount'],
  ];
  test.each(bad)('%s: 400 validation_failed naming the field; nothing is created', async (_, body, field) => {
    const before = await counts();
    const res = await t.http.post('/v1/merchants').set(admin).send(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    expect(await counts()).toEqual(before);
  });

  test.each([
    ['a NUL', 'shop\u0000'],
    ['a single control character', 'shop\u0001'],
  ])('a name with %s: 400 validation_failed, nothing is created', async (_, name) => {
    const before = await counts();
    const res = await t.http.post('/v1/merchants').set(admin).send({ name, category: 'canteen' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('name');
    expect(await counts()).toEqual(before);
  });

  test.each([['operator'], ['auditor'], ['door'], ['merchant']] as const)('a %s key: 403 forbidden, nothing is created', async (role) => {
    const key = role === 'merchant' ? shop.key : keys[role];
    const before = await counts();
    expectError(await t.http.post('/v1/merchants').set(bearer(key)).send({ name: 'shop', category: 'canteen' }), 403, 'forbidden');
    expect(await counts()).toEqual(before);
  });

  test('no key: 401; an unknown key: 401', async () => {
    expectError(await t.http.post('/v1/merchants').send({ name: 'shop', category: 'canteen' }), 401, 'unauthorized');
    expectError(await t.http.post('/v1/merchants').set(bearer('cck_not-a-key')).send({ name: 'shop', category: 'canteen' }), 401, 'unauthorized');
  });
});

describe('GET /v1/merchants/:id', () => {
  test.each([['admin'], ['operator'], ['auditor']] as const)('%s: 200 the merchant', async (role) => {
    const key = role === 'admin' ? TEST_ADMIN_KEY : keys[role];
    const res = await t.http.get(`/v1/merchants/${shop.merchant.id}`).set(bearer(key));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...shop.merchant, createdAt: expect.stringMatching(ISO) });
  });

  test("its own terminal: 200; another merchant's terminal: 403 forbidden", async () => {
    expect((await t.http.get(`/v1/merchants/${shop.merchant.id}`).set(bearer(shop.key))).body.id).toBe(shop.merchant.id);
    expectError(await t.http.get(`/v1/merchants/${shop.merchant.id}`).set(bearer(other.key)), 403, 'forbidden');
  });

  test('a door key: 403; unknown merchant: 404 merchant_not_found; not a uuid: 400', async () => {
    expectError(await t.http.get(`/v1/merchants/${shop.merchant.id}`).set(bearer(keys.door)), 403, 'forbidden');
    expectError(await t.http.get(`/v1/merchants/${randomUUID()}`).set(admin), 404, 'merchant_not_found');
    expectError(await t.http.get('/v1/merchants/shop-1').set(admin), 400, 'validation_failed');
  });
});

describe('terminal keys', () => {
  test('a merchant key is bound to exactly one merchant', async () => {
    const res = await t.http.post('/v1/api-keys').set(admin).send({ role: 'merchant', name: 'till 2', merchantId: shop.merchant.id });
    expect(res.status).toBe(201);
    expect(res.body.merchantId).toBe(shop.merchant.id);
    expect((await t.knex('api_keys').where({ id: res.body.id }).first('merchant_id')).merchant_id).toBe(shop.merchant.id);
    // and it reads only that merchant's list
    expect((await t.http.get(`/v1/merchants/${shop.merchant.id}/payments`).set(bearer(res.body.key))).status).toBe(200);
    expectError(await t.http.get(`/v1/merchants/${other.merchant.id}/payments`).set(bearer(res.body.key)), 403, 'forbidden');
  });
});
