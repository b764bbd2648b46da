import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ApiKeysRepository } from '../src/auth/api-keys.repository';
import { DomainError } from '../src/common/domain-error';
import { Idempotency, type IdempotentRequest } from '../src/common/idempotency';
import { ledgerFor } from '../src/ledger/ledger-for';
import { createTestDatabase, type TestDatabase } from './support/database';
import { balanceOf, fundedWallet, transfer } from './support/factories';

let db: TestDatabase;
let knex: Knex;
let idempotency: Idempotency;

beforeAll(async () => {
  db = await createTestDatabase();
  knex = await db.connect();
  idempotency = new Idempotency(knex);
});
afterAll(async () => {
  await knex.destroy();
  await db.drop();
});

async function apiKeyId(): Promise<string> {
  const id = randomUUID();
  await new ApiKeysRepository().insert(knex, { id, role: 'operator', name: 't', keyHash: randomUUID(), keyPrefix: 'x', merchantId: null, doorIds: null, createdBy: null });
  return id;
}

/** A request that pays `amount` from a wallet, answering like an endpoint would. */
function payment(from: string, to: string, amount: string) {
  return async (trx: Knex.Transaction) => {
    const t = transfer(from, to, amount);
    await ledgerFor(trx).postOne(t);
    return { statusCode: 201, body: { id: t.id, amount } };
  };
}

test('a retry replays the first answer and moves nothing again', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const req: IdempotentRequest = { apiKeyId: await apiKeyId(), key: 'pay-1', fingerprint: 'a'.repeat(64) };
  const first = await idempotency.run(req, payment(wallet.id, source.id, '3.00'));
  const second = await idempotency.run(req, payment(wallet.id, source.id, '3.00'));

  expect(first.replayed).toBe(false);
  expect(second).toEqual({ ...first, replayed: true });
  expect(await balanceOf(knex, wallet.id)).toBe('7.00');
});

test('the same key with a different request is refused and moves nothing', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const apiKey = await apiKeyId();
  await idempotency.run({ apiKeyId: apiKey, key: 'k', fingerprint: 'a'.repeat(64) }, payment(wallet.id, source.id, '1.00'));
  await expect(
    idempotency.run({ apiKeyId: apiKey, key: 'k', fingerprint: 'b'.repeat(64) }, payment(wallet.id, source.id, '2.00')),
  ).rejects.toMatchObject({ code: 'idempotency_key_reused' });
  expect(await balanceOf(knex, wallet.id)).toBe('9.00');
});

test('keys are per API key: another terminal may use the same Idempotency-Key', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const req = { key: 'shared', fingerprint: 'a'.repeat(64) };
  await idempotency.run({ ...req, apiKeyId: await apiKeyId() }, payment(wallet.id, source.id, '1.00'));
  const other = await idempotency.run({ ...req, apiKeyId: await apiKeyId() }, payment(wallet.id, source.id, '1.00'));
  expect(other.replayed).toBe(false);
  expect(await balanceOf(knex, wallet.id)).toBe('8.00');
});

test('a decline is an outcome: stored, replayed, and not retried once money arrives', async () => {
  const { wallet, source } = await fundedWallet(knex, '1.00');
  const req = { apiKeyId: await apiKeyId(), key: 'declined', fingerprint: 'a'.repeat(64) };
  const first = await idempotency.run(req, payment(wallet.id, source.id, '5.00'));
  expect(first).toMatchObject({ statusCode: 402, body: { statusCode: 402, code: 'insufficient_funds' }, replayed: false });

  await knex.transaction((trx) => ledgerFor(trx).postOne(transfer(source.id, wallet.id, '10.00')));
  const again = await idempotency.run(req, payment(wallet.id, source.id, '5.00'));
  expect(again).toEqual({ ...first, replayed: true });
  expect(await balanceOf(knex, wallet.id)).toBe('11.00');
});

test('work done before a domain error is rolled back, the error is kept', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const req = { apiKeyId: await apiKeyId(), key: 'partial', fingerprint: 'a'.repeat(64) };
  const outcome = await idempotency.run(req, async (trx) => {
    await payment(wallet.id, source.id, '4.00')(trx);
    throw new DomainError('card_not_active', 'the card is locked');
  });
  expect(outcome).toMatchObject({ statusCode: 409, body: { code: 'card_not_active' } });
  expect(await balanceOf(knex, wallet.id)).toBe('10.00');
  expect(await knex('idempotency_keys').where({ api_key_id: req.apiKeyId, key: 'partial' })).toHaveLength(1);
});

test('an unexpected failure stores nothing, so the retry executes', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const req = { apiKeyId: await apiKeyId(), key: 'crash', fingerprint: 'a'.repeat(64) };
  await expect(
    idempotency.run(req, async (trx) => {
      await payment(wallet.id, source.id, '4.00')(trx);
      throw new Error('connection reset');
    }),
  ).rejects.toThrow('connection reset');
  expect(await knex('idempotency_keys').where({ api_key_id: req.apiKeyId })).toHaveLength(0);

  const retry = await idempotency.run(req, payment(wallet.id, source.id, '4.00'));
  expect(retry.replayed).toBe(false);
  expect(await balanceOf(knex, wallet.id)).toBe('6.00');
});

test('concurrent duplicates execute once; the others replay the same answer', async () => {
  const { wallet, source } = await fundedWallet(knex, '100.00');
  const req = { apiKeyId: await apiKeyId(), key: 'burst', fingerprint: 'a'.repeat(64) };
  const outcomes = await Promise.all(Array.from({ length: 25 }, () => idempotency.run(req, payment(wallet.id, source.id, '7.00'))));

  expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
  const original = outcomes.find((o) => !o.replayed)!;
  for (const o of outcomes) expect(o.body).toEqual(original.body);
  expect(await balanceOf(knex, wallet.id)).toBe('93.00');
});
