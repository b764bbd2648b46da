import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import type { Role } from '../../src/auth/roles';
import { ledgerFor } from '../../src/ledger/ledger-for';
import type { Account, Transfer } from '../../ledger/types';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';

/** Creates a merchant (and its ledger account) through the API. */
export async function merchant(t: TestApp, category = 'canteen'): Promise<{ id: string; name: string; category: string }> {
  const res = await t.http.post('/v1/merchants').set(bearer(TEST_ADMIN_KEY)).send({ name: `${category} ${randomUUID().slice(0, 8)}`, category });
  if (res.status !== 201) throw new Error(`creating a merchant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A door (a community gate) through the API, for keys that need one to exist; test/support/doors.ts has the full helper. */
async function someDoor(t: TestApp): Promise<string> {
  const res = await t.http.post('/v1/doors').set(bearer(TEST_ADMIN_KEY)).send({ name: 'gate for a test key', community: `小区-${randomUUID().slice(0, 8)}` });
  if (res.status !== 201) throw new Error(`creating a door failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * Creates an API key through the API and returns it with its id; a merchant key gets a
 * merchant of its own unless given one, and a door key a door of its own (door keys
 * must name doors that exist).
 */
export async function apiKey(t: TestApp, role: Role, extra: { merchantId?: string; doorIds?: string[] } = {}): Promise<{ id: string; key: string }> {
  const scope =
    role === 'merchant' ? { merchantId: extra.merchantId ?? (await merchant(t)).id } : role === 'door' ? { doorIds: extra.doorIds ?? [await someDoor(t)] } : {};
  const res = await t.http.post('/v1/api-keys').set(bearer(TEST_ADMIN_KEY)).send({ role, name: `${role} for tests`, ...scope });
  if (res.status !== 201) throw new Error(`creating a ${role} key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key };
}

export function account(overrides: Partial<Account> = {}): Account {
  const id = overrides.id ?? `acc_${randomUUID()}`;
  return { id, ownerType: 'test', ownerId: id, kind: 'wallet', currency: 'CNY', mayGoNegative: false, ...overrides };
}

export function transfer(from: string, to: string, amount: string, overrides: Partial<Transfer> = {}): Transfer {
  const value = new Decimal(amount);
  return {
    id: randomUUID(),
    kind: 'test_transfer',
    postings: [
      { accountId: from, amount: value.negated() },
      { accountId: to, amount: value },
    ],
    ...overrides,
  };
}

/** Opens accounts in their own transaction. */
export async function openAccounts(knex: Knex, ...accounts: Account[]): Promise<void> {
  await knex.transaction((trx) => ledgerFor(trx).openAccounts(accounts));
}

/** A funding source that may go negative, and a wallet funded from it. */
export async function fundedWallet(knex: Knex, amount: string): Promise<{ source: Account; wallet: Account }> {
  const source = account({ kind: 'funding', mayGoNegative: true });
  const wallet = account();
  await openAccounts(knex, source, wallet);
  await knex.transaction((trx) => ledgerFor(trx).postOne(transfer(source.id, wallet.id, amount)));
  return { source, wallet };
}

export async function balanceOf(knex: Knex, accountId: string): Promise<string> {
  const balances = await knex.transaction((trx) => ledgerFor(trx).balances([accountId]));
  return balances.get(accountId)!.toFixed(2);
}
