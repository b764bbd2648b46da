import type { Knex } from 'knex';
import { verifyLedger, type VerifyReport } from '../ledger/verify';
import { KnexAuditSource } from '../src/ledger/knex-audit.source';
import { ledgerFor } from '../src/ledger/ledger-for';
import { sealPending } from '../src/ledger/sealer';
import { bearer, startTestApp, TEST_ADMIN_KEY } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { account, fundedWallet, openAccounts, transfer } from './support/factories';
import { sealEverything } from './support/seal';

/** A database with a few sealed transfers, to be tampered with. */
async function sealedLedger(): Promise<{ db: TestDatabase; knex: Knex; ids: string[] }> {
  const db = await createTestDatabase();
  const knex = await db.connect();
  const { wallet } = await fundedWallet(knex, '100.00');
  const shop = account({ kind: 'merchant', mayGoNegative: true });
  await openAccounts(knex, shop);
  const ids: string[] = [];
  for (const amount of ['1.00', '2.50', '3.75']) {
    const t = transfer(wallet.id, shop.id, amount, { metadata: { receipt: amount } });
    await knex.transaction((trx) => ledgerFor(trx).postOne(t));
    ids.push(t.id);
  }
  await sealEverything(knex);
  return { db, knex, ids };
}

const verify = (knex: Knex) => verifyLedger(new KnexAuditSource(knex));
const codes = (r: VerifyReport) => [...new Set(r.problems.map((p) => p.code))].sort();

/** Plays the database superuser: switches off the append-only triggers of a table for one change. */
async function asSuperuser(knex: Knex, table: string, sql: string, bindings: unknown[] = []): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await trx.raw(sql, bindings as never[]);
    await trx.raw(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  });
}

describe('sealing', () => {
  let db: TestDatabase;
  let knex: Knex;
  beforeAll(async () => {
    ({ db, knex } = await sealedLedger());
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });

  test('every transaction is chained once, the head is the last link, and verify is ok', async () => {
    const report = await verify(knex);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.trialBalance).toBe('0.00');
    const last = await knex('ledger_chain').orderBy('position', 'desc').first();
    expect(report.chainHead).toBe(last.hash);
    expect(report.chainLength).toBe(report.transactions);
    expect(report.transactions).toBe(4);
  });

  test('sealing again adds nothing', async () => {
    expect(await sealPending(knex)).toBe(0);
    expect((await verify(knex)).chainLength).toBe(4);
  });
});

describe('tampering as the database superuser is reported', () => {
  let db: TestDatabase;
  let knex: Knex;
  let ids: string[];
  beforeEach(async () => {
    ({ db, knex, ids } = await sealedLedger());
    expect((await verify(knex)).ok).toBe(true);
  });
  afterEach(async () => {
    await knex.destroy();
    await db.drop();
  });

  test('an entry amount changed (balances fixed up to match) breaks its seal', async () => {
    // A careful forger keeps the transaction balanced and the balances consistent; only the chain can tell.
    await asSuperuser(knex, 'ledger_entries', `UPDATE ledger_entries SET amount = CASE WHEN amount < 0 THEN -9.00 ELSE 9.00 END WHERE transaction_id = ?`, [ids[1]]);
    const shopRow = await knex('ledger_entries').where({ transaction_id: ids[1] }).where('amount', '>', 0).first();
    const walletRow = await knex('ledger_entries').where({ transaction_id: ids[1] }).where('amount', '<', 0).first();
    await knex.raw('UPDATE ledger_balances SET balance = balance + 6.50 WHERE account_id = ? AND shard = (SELECT min(shard) FROM ledger_balances WHERE account_id = ?)', [
      shopRow.account_id,
      shopRow.account_id,
    ]);
    await knex.raw('UPDATE ledger_balances SET balance = balance - 6.50 WHERE account_id = ?', [walletRow.account_id]);

    const report = await verify(knex);
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['hash_mismatch']);
    expect(report.problems[0].transactionId).toBe(ids[1]);
  });

  test('an entry amount changed alone is unbalanced, mismatched and breaks its seal', async () => {
    await asSuperuser(knex, 'ledger_entries', `UPDATE ledger_entries SET amount = amount * 2 WHERE transaction_id = ? AND amount > 0`, [ids[0]]);
    const report = await verify(knex);
    expect(codes(report)).toEqual(['balance_mismatch', 'hash_mismatch', 'trial_balance', 'unbalanced_transaction']);
  });

  test('metadata rewritten breaks the seal', async () => {
    await asSuperuser(knex, 'ledger_transactions', `UPDATE ledger_transactions SET metadata = '{"receipt":"0.01"}' WHERE id = ?`, [ids[2]]);
    const report = await verify(knex);
    expect(codes(report)).toEqual(['hash_mismatch']);
    expect(report.problems[0].transactionId).toBe(ids[2]);
  });

  test('a deleted chain link breaks the chain', async () => {
    await asSuperuser(knex, 'ledger_chain', `DELETE FROM ledger_chain WHERE transaction_id = ?`, [ids[0]]);
    const report = await verify(knex);
    expect(codes(report)).toEqual(expect.arrayContaining(['chain_gap', 'chain_broken']));
  });

  test('a deleted transaction is missing from its link', async () => {
    await asSuperuser(knex, 'ledger_entries', 'DELETE FROM ledger_entries WHERE transaction_id = ?', [ids[2]]);
    await asSuperuser(knex, 'ledger_chain', 'DELETE FROM ledger_chain WHERE transaction_id = ?', [ids[2]]);
    await asSuperuser(knex, 'ledger_transactions', 'DELETE FROM ledger_transactions WHERE id = ?', [ids[2]]);
    const report = await verify(knex);
    expect(codes(report)).toEqual(expect.arrayContaining(['balance_mismatch']));
    expect(report.ok).toBe(false);
  });

  test('a transaction slipped in behind the sealer is reported as unsealed', async () => {
    const [a, b] = await knex('ledger_accounts').where({ may_go_negative: true }).limit(2);
    const id = '00000000-0000-4000-8000-00000000f00d';
    // An old xid places it before what was sealed, so the sealer will never pick it up.
    await knex.transaction(async (trx) => {
      await trx('ledger_transactions').insert({ id, kind: 'forged', body_hash: 'x', xid: '3' });
      await trx('ledger_entries').insert([
        { transaction_id: id, account_id: a.id, amount: '-50.00' },
        { transaction_id: id, account_id: b.id, amount: '50.00' },
      ]);
    });
    await sealPending(knex);
    const report = await verify(knex);
    expect(report.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'unsealed_transaction', transactionId: id })]));
  });

  test('a balance edited directly is a mismatch', async () => {
    await knex.raw(`UPDATE ledger_balances SET balance = balance + 1 WHERE NOT may_go_negative`);
    expect(codes(await verify(knex))).toEqual(['balance_mismatch']);
  });
});

describe('commit order is not id order', () => {
  test('a transaction still open holds back the chain; nothing is skipped and order follows xids', async () => {
    const db = await createTestDatabase();
    const knex = await db.connect();
    try {
      if (db.mode === 'embedded') {
        // PGlite has one connection: no two transactions are ever open at once, so there is nothing to interleave.
        return;
      }
      const { wallet, source } = await fundedWallet(knex, '10.00');
      await sealEverything(knex);
      const slow = transfer(wallet.id, source.id, '1.00');
      const fast = transfer(wallet.id, source.id, '2.00');
      let release!: () => void;
      let written!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      const wroteSlow = new Promise<void>((r) => (written = r));
      const slowDone = knex.transaction(async (trx) => {
        await ledgerFor(trx).postOne(slow);
        written();
        await hold;
      });
      await wroteSlow;
      // `fast` waits for the wallet's row lock, so write it to another wallet instead.
      const other = await fundedWallet(knex, '10.00');
      await knex.transaction((trx) => ledgerFor(trx).postOne(transfer(other.wallet.id, other.source.id, '2.00', { id: fast.id })));

      await sealPending(knex);
      expect(await knex('ledger_chain').whereIn('transaction_id', [slow.id, fast.id])).toHaveLength(0);

      release();
      await slowDone;
      await sealEverything(knex);
      const links = await knex('ledger_chain').whereIn('transaction_id', [slow.id, fast.id]).orderBy('position');
      expect(links.map((l) => l.transaction_id)).toEqual([slow.id, fast.id]);
      expect((await verify(knex)).ok).toBe(true);
    } finally {
      await knex.destroy();
      await db.drop();
    }
  });
});

describe('the running service', () => {
  test('seals in the background, and GET /v1/ledger/verify reports tampering', async () => {
    const t = await startTestApp();
    try {
      const { wallet, source } = await fundedWallet(t.knex, '20.00');
      const pay = transfer(wallet.id, source.id, '5.00');
      await t.knex.transaction((trx) => ledgerFor(trx).postOne(pay));
      for (let i = 0; i < 400 && !(await t.knex('ledger_chain').where({ transaction_id: pay.id }).first()); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await t.knex('ledger_chain').where({ transaction_id: pay.id })).toHaveLength(1);

      const clean = await t.http.get('/v1/ledger/verify').set(bearer(TEST_ADMIN_KEY));
      expect(clean.status).toBe(200);
      expect(clean.body).toMatchObject({ ok: true, transactions: 2, entries: 4, trialBalance: '0.00', problems: [] });

      await asSuperuser(t.knex, 'ledger_entries', 'UPDATE ledger_entries SET amount = amount + 1 WHERE transaction_id = ? AND amount > 0', [pay.id]);
      const tampered = await t.http.get('/v1/ledger/verify').set(bearer(TEST_ADMIN_KEY));
      expect(tampered.status).toBe(200);
      expect(tampered.body.ok).toBe(false);
      expect(tampered.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'hash_mismatch', transactionId: pay.id })]));
    } finally {
      await t.close();
    }
  });
});
