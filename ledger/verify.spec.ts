import Decimal from 'decimal.js';
import { Ledger } from './ledger';
import { MemoryStore } from './memory-store';
import { CURRENCY, type Account, type Transfer } from './types';
import { verifyLedger, type VerifyReport } from './verify';

function account(id: string, mayGoNegative = false): Account {
  return { id, ownerType: 'resident', ownerId: id, kind: 'cash_wallet', currency: CURRENCY, mayGoNegative };
}

function move(id: string, from: string, to: string, amount: string, metadata?: Record<string, unknown>): Transfer {
  return { id, kind: 'transfer', metadata, postings: [{ accountId: from, amount: new Decimal(amount).neg() }, { accountId: to, amount: new Decimal(amount) }] };
}

/** Three sealed transfers: alice ends with 75, bob with 25, the treasury with -100. */
async function sealedLedger() {
  const store = new MemoryStore();
  const ledger = new Ledger(store);
  await ledger.openAccounts([account('alice'), account('bob'), account('treasury', true)]);
  await ledger.postOne(move('t1', 'treasury', 'alice', '100'));
  await ledger.postOne(move('t2', 'alice', 'bob', '30'));
  await ledger.postOne(move('t3', 'bob', 'alice', '5', { reason: 'refund', at: new Date('2026-01-01T00:00:00Z') }));
  const links = store.seal();
  return { store, ledger, links };
}

function codes(report: VerifyReport): string[] {
  return report.problems.map((p) => p.code).sort();
}

describe('verifyLedger', () => {
  it('finds nothing wrong with an empty ledger', async () => {
    expect(await verifyLedger(new MemoryStore())).toEqual({
      ok: true,
      transactions: 0,
      entries: 0,
      trialBalance: '0.00',
      chainHead: null,
      chainLength: 0,
      pendingSeal: 0,
      problems: [],
    });
  });

  it('passes a clean ledger and reports the chain head', async () => {
    const { store, links } = await sealedLedger();
    expect(links).toHaveLength(3);
    expect(await verifyLedger(store)).toEqual({
      ok: true,
      transactions: 3,
      entries: 6,
      trialBalance: '0.00',
      chainHead: links[2].hash,
      chainLength: 3,
      pendingSeal: 0,
      problems: [],
    });
  });

  it('counts transactions waiting for the sealer without calling them a problem', async () => {
    const { store, ledger } = await sealedLedger();
    await ledger.postOne(move('t4', 'alice', 'bob', '1'));
    expect(await verifyLedger(store)).toMatchObject({ ok: true, pendingSeal: 1, chainLength: 3 });
    const [link] = store.seal();
    expect(link).toMatchObject({ position: '4', transactionId: 't4' });
    expect(await verifyLedger(store)).toMatchObject({ ok: true, pendingSeal: 0, chainLength: 4, chainHead: link.hash });
  });

  it('catches a tampered entry amount by hash, sums and balances', async () => {
    const { store } = await sealedLedger();
    store.tamperEntryAmount('t2', '-3', 'alice');
    const report = await verifyLedger(store);
    expect(report.ok).toBe(false);
    expect(report.trialBalance).toBe('27.00');
    expect(codes(report)).toEqual(['balance_mismatch', 'hash_mismatch', 'trial_balance', 'unbalanced_transaction']);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'hash_mismatch', transactionId: 't2', position: '2' }),
        expect.objectContaining({ code: 'unbalanced_transaction', transactionId: 't2' }),
        expect.objectContaining({ code: 'balance_mismatch', accountId: 'alice' }),
      ]),
    );
  });

  it('catches a tampering that keeps every sum balanced through the hash', async () => {
    const { store } = await sealedLedger();
    store.tamperEntryAmount('t1', '1000', 'alice');
    store.tamperEntryAmount('t1', '-1000', 'treasury');
    const report = await verifyLedger(store);
    expect(report.trialBalance).toBe('0.00');
    expect(codes(report)).toEqual(['balance_mismatch', 'balance_mismatch', 'hash_mismatch']);
    expect(report.problems.find((p) => p.code === 'hash_mismatch')).toMatchObject({ transactionId: 't1', position: '1' });
  });

  it('reports a guarded account whose entries sum below zero', async () => {
    const { store } = await sealedLedger();
    store.tamperEntryAmount('t1', '10', 'alice');
    store.tamperEntryAmount('t1', '-10', 'treasury');
    const report = await verifyLedger(store);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'negative_balance', accountId: 'alice', message: 'balance -15.00 is below zero' }));
    expect(report.problems.filter((p) => p.code === 'negative_balance')).toHaveLength(1);
  });

  it('catches a deleted chain link in the middle, and the transaction it leaves unsealed', async () => {
    const { store } = await sealedLedger();
    store.deleteChainLink('2');
    const report = await verifyLedger(store);
    expect(report).toMatchObject({ ok: false, chainLength: 2, pendingSeal: 0 });
    expect(codes(report)).toEqual(['chain_broken', 'chain_gap', 'unsealed_transaction']);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'chain_gap', position: '3' }),
        expect.objectContaining({ code: 'chain_broken', position: '3' }),
        expect.objectContaining({ code: 'unsealed_transaction', transactionId: 't2' }),
      ]),
    );
  });

  it('catches a deleted first link', async () => {
    const { store } = await sealedLedger();
    store.deleteChainLink('1');
    const report = await verifyLedger(store);
    expect(codes(report)).toEqual(['chain_broken', 'chain_gap', 'unsealed_transaction']);
    expect(report.problems.find((p) => p.code === 'chain_gap')).toMatchObject({ position: '2' });
  });

  it('catches a recorded balance that differs from the entries, and nothing else', async () => {
    const { store } = await sealedLedger();
    store.setRecordedBalance('bob', '26');
    expect((await verifyLedger(store)).problems).toEqual([
      { code: 'balance_mismatch', accountId: 'bob', message: 'recorded balance 26.00 but entries sum to 25.00' },
    ]);
  });

  it('catches a sealed transaction that was deleted', async () => {
    const { store } = await sealedLedger();
    store.deleteTransaction('t3');
    const report = await verifyLedger(store);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'transaction_missing', transactionId: 't3', position: '3' }));
    expect(report.transactions).toBe(2);
  });

  it('follows the chain across pages', async () => {
    const store = new MemoryStore();
    const ledger = new Ledger(store);
    await ledger.openAccounts([account('alice'), account('treasury', true)]);
    const results = await ledger.post(Array.from({ length: 2002 }, (_, i) => move(`p${i}`, 'treasury', 'alice', '0.01')));
    expect(results.every((r) => r.ok)).toBe(true);
    const links = store.seal();
    expect(await verifyLedger(store)).toMatchObject({ ok: true, chainLength: 2002, chainHead: links[2001].hash, trialBalance: '0.00' });

    // The first page ends at 2000, so the gap only shows if the check carries over pages.
    store.deleteChainLink('2001');
    const report = await verifyLedger(store);
    expect(report.chainLength).toBe(2001);
    expect(codes(report)).toEqual(['chain_broken', 'chain_gap', 'unsealed_transaction']);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'chain_broken', position: '2002' }));
  });
});
