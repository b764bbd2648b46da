import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { LedgerError } from '../ledger/errors';
import { verifyLedger } from '../ledger/verify';
import { inTransaction } from '../src/db/transaction';
import { KnexAuditSource } from '../src/ledger/knex-audit.source';
import { ledgerFor } from '../src/ledger/ledger-for';
import { sealEverything } from './support/seal';
import { createTestDatabase, type TestDatabase } from './support/database';
import { account, balanceOf, fundedWallet, openAccounts, transfer } from './support/factories';

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

async function verify() {
  await sealEverything(knex);
  return verifyLedger(new KnexAuditSource(knex));
}

test('a transfer moves money between two accounts and is written with its entries', async () => {
  const { wallet } = await fundedWallet(knex, '100.00');
  const shop = account({ kind: 'merchant', mayGoNegative: true });
  await openAccounts(knex, shop);
  const t = transfer(wallet.id, shop.id, '12.34', { metadata: { note: '午饭' } });
  await knex.transaction((trx) => ledgerFor(trx).postOne(t));

  expect(await balanceOf(knex, wallet.id)).toBe('87.66');
  expect(await balanceOf(knex, shop.id)).toBe('12.34');
  const stored = await knex('ledger_transactions').where({ id: t.id }).first();
  expect(stored.metadata).toEqual({ note: '午饭' });
  expect(await knex('ledger_entries').where({ transaction_id: t.id })).toHaveLength(2);
});

test('an overdraft is declined with insufficient_funds and writes nothing', async () => {
  const { wallet, source } = await fundedWallet(knex, '5.00');
  const before = await knex('ledger_transactions').count<{ count: string }[]>('* as count');
  await expect(knex.transaction((trx) => ledgerFor(trx).postOne(transfer(wallet.id, source.id, '5.01')))).rejects.toMatchObject({
    code: 'insufficient_funds',
    accountId: wallet.id,
  });
  expect(await knex('ledger_transactions').count('* as count')).toEqual(before);
  expect(await balanceOf(knex, wallet.id)).toBe('5.00');
});

test('amounts with more than two decimals are refused', async () => {
  const { wallet, source } = await fundedWallet(knex, '5.00');
  const t = transfer(wallet.id, source.id, '1.00');
  t.postings = [
    { accountId: wallet.id, amount: new Decimal('-1.005') },
    { accountId: source.id, amount: new Decimal('1.005') },
  ];
  await expect(knex.transaction((trx) => ledgerFor(trx).postOne(t))).rejects.toBeInstanceOf(LedgerError);
  await expect(knex.transaction((trx) => ledgerFor(trx).postOne(t))).rejects.toMatchObject({ code: 'invalid_amount' });
});

test('many transfers in one call share one database transaction, each with its own outcome', async () => {
  const { wallet } = await fundedWallet(knex, '10.00');
  const shop = account({ kind: 'merchant', mayGoNegative: true });
  await openAccounts(knex, shop);
  const batch = Array.from({ length: 15 }, () => transfer(wallet.id, shop.id, '1.00'));
  const results = await knex.transaction((trx) => ledgerFor(trx).post(batch));

  expect(results.filter((r) => r.ok)).toHaveLength(10);
  expect(results.slice(10).every((r) => !r.ok && r.code === 'insufficient_funds')).toBe(true);
  expect(await balanceOf(knex, wallet.id)).toBe('0.00');
  expect(await balanceOf(knex, shop.id)).toBe('10.00');
});

test('a retried transfer id with the same body moves nothing twice; another body is refused', async () => {
  const { wallet, source } = await fundedWallet(knex, '10.00');
  const t = transfer(wallet.id, source.id, '4.00');
  await knex.transaction((trx) => ledgerFor(trx).postOne(t));
  await expect(knex.transaction((trx) => ledgerFor(trx).postOne(t))).resolves.toEqual({ replayed: true });
  expect(await balanceOf(knex, wallet.id)).toBe('6.00');

  const changed = { ...t, postings: transfer(wallet.id, source.id, '5.00').postings };
  await expect(knex.transaction((trx) => ledgerFor(trx).postOne(changed))).rejects.toMatchObject({ code: 'exists_with_different_body' });
});

test('200 concurrent transfers out of an account that can afford 100: exactly 100 succeed', async () => {
  const { wallet } = await fundedWallet(knex, '100.00');
  const sink = account({ kind: 'merchant', mayGoNegative: true });
  await openAccounts(knex, sink);

  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, () => inTransaction(knex, (trx) => ledgerFor(trx).postOne(transfer(wallet.id, sink.id, '1.00')))),
  );
  const declined = outcomes.filter((o) => o.status === 'rejected');
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
  expect(declined.every((o) => (o as PromiseRejectedResult).reason.code === 'insufficient_funds')).toBe(true);
  expect(await balanceOf(knex, wallet.id)).toBe('0.00');
  expect(await balanceOf(knex, sink.id)).toBe('100.00');

  const report = await verify();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});

test('concurrent writers into one hot account all land, spread over shards', async () => {
  const hot = account({ kind: 'merchant', mayGoNegative: true });
  await openAccounts(knex, hot);
  const wallets = await Promise.all(Array.from({ length: 40 }, () => fundedWallet(knex, '3.00')));
  await Promise.all(
    wallets.flatMap(({ wallet }) =>
      [1, 2, 3].map(() => inTransaction(knex, (trx) => ledgerFor(trx).postOne(transfer(wallet.id, hot.id, '1.00')))),
    ),
  );
  expect(await balanceOf(knex, hot.id)).toBe('120.00');
  const { rows } = await knex.raw('SELECT count(*)::int AS n FROM ledger_balances WHERE account_id = ?', [hot.id]);
  expect(rows[0].n).toBeGreaterThan(1);
  expect((await verify()).ok).toBe(true);
});

test('concurrent transfers crossing the same guarded accounts in opposite directions do not deadlock or lose money', async () => {
  const a = (await fundedWallet(knex, '50.00')).wallet;
  const b = (await fundedWallet(knex, '50.00')).wallet;
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      inTransaction(knex, (trx) => ledgerFor(trx).postOne(i % 2 ? transfer(a.id, b.id, '1.00') : transfer(b.id, a.id, '1.00'))),
    ),
  );
  expect(new Decimal(await balanceOf(knex, a.id)).plus(await balanceOf(knex, b.id)).toFixed(2)).toBe('100.00');
  expect(await balanceOf(knex, a.id)).toBe('50.00');
});
