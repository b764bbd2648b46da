import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { MIGRATIONS } from '../src/db/migrations';
import { createTestDatabase, type TestDatabase } from './support/database';
import { account, fundedWallet, openAccounts, transfer } from './support/factories';
import { ledgerFor } from '../src/ledger/ledger-for';
import { sealEverything } from './support/seal';

let db: TestDatabase;
let knex: Knex;

beforeAll(async () => {
  db = await createTestDatabase();
  knex = await db.connect();
});
afterAll(async () => {
  await knex.destroy();
  await db.drop();
});

test('every migration file is listed, in order', () => {
  const files = readdirSync(join(__dirname, '../migrations'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  expect(Object.keys(MIGRATIONS)).toEqual(files);
});

describe('the database itself keeps the ledger append-only', () => {
  let txId: string;
  let accountId: string;

  beforeAll(async () => {
    const { wallet } = await fundedWallet(knex, '10.00');
    accountId = wallet.id;
    const row = await knex('ledger_entries').where({ account_id: accountId }).first('transaction_id');
    txId = row.transaction_id;
    await sealEverything(knex);
    expect(await knex('ledger_chain').where({ transaction_id: txId })).toHaveLength(1);
  });

  const attempts: [string, () => string][] = [
    ['UPDATE ledger_entries', () => `UPDATE ledger_entries SET amount = amount * 2 WHERE transaction_id = '${txId}'`],
    ['DELETE ledger_entries', () => `DELETE FROM ledger_entries WHERE transaction_id = '${txId}'`],
    ['TRUNCATE ledger_entries', () => 'TRUNCATE ledger_entries'],
    ['UPDATE ledger_transactions', () => `UPDATE ledger_transactions SET kind = 'other' WHERE id = '${txId}'`],
    ['DELETE ledger_transactions', () => `DELETE FROM ledger_transactions WHERE id = '${txId}'`],
    ['TRUNCATE ledger_transactions', () => 'TRUNCATE ledger_transactions CASCADE'],
    ['UPDATE ledger_accounts', () => `UPDATE ledger_accounts SET may_go_negative = true WHERE id = '${accountId}'`],
    ['DELETE ledger_accounts', () => `DELETE FROM ledger_accounts WHERE id = '${accountId}'`],
    ['TRUNCATE ledger_accounts', () => 'TRUNCATE ledger_accounts CASCADE'],
    ['UPDATE ledger_chain', () => `UPDATE ledger_chain SET hash = repeat('0', 64)`],
    ['DELETE ledger_chain', () => 'DELETE FROM ledger_chain'],
    ['TRUNCATE ledger_chain', () => 'TRUNCATE ledger_chain'],
  ];

  test.each(attempts)('%s is rejected', async (_, sql) => {
    await expect(knex.raw(sql())).rejects.toThrow(/append-only/);
    const entries = await knex('ledger_entries').where({ transaction_id: txId });
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => e.amount).sort()).toEqual(['-10.00', '10.00']);
    expect(await knex('ledger_chain').where({ transaction_id: txId })).toHaveLength(1);
    expect(await knex('ledger_accounts').where({ id: accountId, may_go_negative: false })).toHaveLength(1);
  });

  test('entries of one statement must balance per transaction', async () => {
    const from = account({ mayGoNegative: true });
    const to = account({ mayGoNegative: true });
    await openAccounts(knex, from, to);
    const id = '00000000-0000-4000-8000-000000000001';
    await expect(
      knex.transaction(async (trx) => {
        await trx('ledger_transactions').insert({ id, kind: 'forged', body_hash: 'x' });
        await trx('ledger_entries').insert([
          { transaction_id: id, account_id: from.id, amount: '-5.00' },
          { transaction_id: id, account_id: to.id, amount: '4.00' },
        ]);
      }),
    ).rejects.toThrow(/does not balance/);
  });

  test('a guarded balance row cannot go below zero even when written directly', async () => {
    await expect(knex('ledger_balances').where({ account_id: accountId }).update({ balance: '-0.01' })).rejects.toThrow(/check constraint/);
  });

  test('a transfer through the ledger still works after all that', async () => {
    const sink = account({ mayGoNegative: true });
    await openAccounts(knex, sink);
    await knex.transaction((trx) => ledgerFor(trx).postOne(transfer(accountId, sink.id, '3.00')));
    const { rows } = await knex.raw('SELECT balance::text FROM ledger_balances WHERE account_id = ?', [accountId]);
    expect(rows[0].balance).toBe('7.00');
  });
});
