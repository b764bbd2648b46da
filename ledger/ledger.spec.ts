import Decimal from 'decimal.js';
import { LedgerError } from './errors';
import { Ledger, transferFingerprint } from './ledger';
import { MemoryStore } from './memory-store';
import { formatMoney } from './money';
import { CURRENCY, type Account, type Posting, type Transfer } from './types';

const IDS = ['alice', 'bob', 'treasury'];

function account(id: string, mayGoNegative = false, overrides: Partial<Account> = {}): Account {
  const kind = mayGoNegative ? 'treasury' : 'cash_wallet';
  return { id, ownerType: mayGoNegative ? 'system' : 'resident', ownerId: id, kind, currency: CURRENCY, mayGoNegative, ...overrides };
}

function posting(accountId: string, amount: string): Posting {
  return { accountId, amount: new Decimal(amount) };
}

function move(id: string, from: string, to: string, amount: string, metadata?: Record<string, unknown>): Transfer {
  return { id, kind: 'transfer', postings: [posting(from, `-${amount}`), posting(to, amount)], metadata };
}

async function setup(): Promise<{ store: MemoryStore; ledger: Ledger }> {
  const store = new MemoryStore();
  const ledger = new Ledger(store);
  await ledger.openAccounts([account('alice'), account('bob'), account('treasury', true)]);
  return { store, ledger };
}

async function balancesOf(ledger: Ledger, ids = IDS): Promise<Record<string, string>> {
  const balances = await ledger.balances(ids);
  return Object.fromEntries(ids.map((id) => [id, formatMoney(balances.get(id)!)]));
}

async function transactionCount(store: MemoryStore): Promise<number> {
  return (await store.totals()).transactions;
}

describe('Ledger.post', () => {
  it('accepts a balanced transfer and moves the balances', async () => {
    const { ledger } = await setup();
    expect(await ledger.post([move('t1', 'treasury', 'alice', '100')])).toEqual([{ id: 't1', ok: true, replayed: false }]);
    expect(await ledger.post([move('t2', 'alice', 'bob', '30.25')])).toEqual([{ id: 't2', ok: true, replayed: false }]);
    expect(await balancesOf(ledger)).toEqual({ alice: '69.75', bob: '30.25', treasury: '-100.00' });
  });

  it.each<[string, Posting[], string]>([
    ['unbalanced', [posting('treasury', '-10'), posting('alice', '9.99')], 'unbalanced_transfer'],
    ['one posting', [posting('alice', '10')], 'too_few_postings'],
    ['no postings', [], 'too_few_postings'],
    ['three decimals', [posting('treasury', '-1.005'), posting('alice', '1.005')], 'invalid_amount'],
    ['a zero amount', [posting('treasury', '0'), posting('alice', '0')], 'invalid_amount'],
    ['a zero among others', [posting('treasury', '-5'), posting('bob', '0'), posting('alice', '5')], 'invalid_amount'],
    ['an amount over the maximum', [posting('treasury', '-10000000000'), posting('alice', '10000000000')], 'invalid_amount'],
    ['an unknown account', [posting('treasury', '-5'), posting('ghost', '5')], 'account_not_found'],
  ])('refuses a transfer with %s and writes nothing', async (_, postings, code) => {
    const { store, ledger } = await setup();
    const [result] = await ledger.post([{ id: 'bad', kind: 'transfer', postings }]);
    expect(result).toMatchObject({ id: 'bad', ok: false, code });
    expect(await transactionCount(store)).toBe(0);
    expect(await balancesOf(ledger)).toEqual({ alice: '0.00', bob: '0.00', treasury: '0.00' });
  });

  it('names the unknown account', async () => {
    const { ledger } = await setup();
    const [result] = await ledger.post([{ id: 'x', kind: 'transfer', postings: [posting('treasury', '-5'), posting('ghost', '5')] }]);
    expect(result).toEqual({ id: 'x', ok: false, code: 'account_not_found', accountId: 'ghost' });
  });

  it('refuses amounts that are not Decimals', async () => {
    const { ledger } = await setup();
    const postings = [{ accountId: 'treasury', amount: -5 }, { accountId: 'alice', amount: 5 }] as unknown as Posting[];
    expect(await ledger.post([{ id: 'n', kind: 'transfer', postings }])).toEqual([{ id: 'n', ok: false, code: 'invalid_amount' }]);
  });

  it.each([
    ['an empty id', { id: '', kind: 'transfer' }],
    ['an empty kind', { id: 'k', kind: '' }],
  ])('refuses %s as invalid_transfer', async (_, fields) => {
    const { ledger } = await setup();
    const [result] = await ledger.post([{ ...move('k', 'treasury', 'alice', '1'), ...fields }]);
    expect(result).toMatchObject({ ok: false, code: 'invalid_transfer' });
  });

  it('declines an overdraft of a guarded account, names it, and writes nothing', async () => {
    const { store, ledger } = await setup();
    await ledger.postOne(move('fund', 'treasury', 'alice', '50'));
    const [result] = await ledger.post([move('over', 'alice', 'bob', '50.01')]);
    expect(result).toEqual({ id: 'over', ok: false, code: 'insufficient_funds', accountId: 'alice' });
    expect(await balancesOf(ledger)).toEqual({ alice: '50.00', bob: '0.00', treasury: '-50.00' });
    expect(await transactionCount(store)).toBe(1);
    expect((await store.findTransferHashes(['over'])).size).toBe(0);
  });

  it('treats a never-touched guarded account as holding zero', async () => {
    const { ledger } = await setup();
    expect(await ledger.post([move('t', 'bob', 'alice', '0.01')])).toEqual([
      { id: 't', ok: false, code: 'insufficient_funds', accountId: 'bob' },
    ]);
  });

  it('lets a guarded account reach exactly zero', async () => {
    const { ledger } = await setup();
    await ledger.postOne(move('fund', 'treasury', 'alice', '50'));
    await ledger.postOne(move('all', 'alice', 'bob', '50'));
    expect(await balancesOf(ledger)).toEqual({ alice: '0.00', bob: '50.00', treasury: '-50.00' });
  });

  it('lets an account that may go negative go negative', async () => {
    const { ledger } = await setup();
    await ledger.postOne(move('t', 'treasury', 'alice', '123.45'));
    expect((await balancesOf(ledger)).treasury).toBe('-123.45');
  });

  it('checks where a guarded account ends after the transfer, not each posting', async () => {
    const { ledger } = await setup();
    const through = { id: 'through', kind: 'relay', postings: [posting('treasury', '-10'), posting('alice', '10'), posting('alice', '-10'), posting('bob', '10')] };
    expect(await ledger.post([through])).toEqual([{ id: 'through', ok: true, replayed: false }]);
    expect(await balancesOf(ledger)).toEqual({ alice: '0.00', bob: '10.00', treasury: '-10.00' });
  });

  it('lets a retry of a declined transfer succeed once the money is there', async () => {
    const { ledger } = await setup();
    expect((await ledger.post([move('later', 'alice', 'bob', '5')]))[0].ok).toBe(false);
    await ledger.postOne(move('fund', 'treasury', 'alice', '5'));
    expect(await ledger.post([move('later', 'alice', 'bob', '5')])).toEqual([{ id: 'later', ok: true, replayed: false }]);
  });
});

describe('Ledger.post with several transfers', () => {
  it('counts earlier transfers of the call, and judges each transfer on its own', async () => {
    const { store, ledger } = await setup();
    await ledger.postOne(move('fund', 'treasury', 'alice', '100'));
    const append = jest.spyOn(store, 'append');
    const results = await ledger.post([
      move('b1', 'alice', 'bob', '60'),
      move('b2', 'alice', 'bob', '50'),
      { id: 'b3', kind: 'transfer', postings: [posting('alice', '1')] },
      move('b4', 'alice', 'bob', '40'),
      move('b5', 'alice', 'bob', '0.01'),
    ]);
    expect(results).toEqual([
      { id: 'b1', ok: true, replayed: false },
      { id: 'b2', ok: false, code: 'insufficient_funds', accountId: 'alice' },
      { id: 'b3', ok: false, code: 'too_few_postings' },
      { id: 'b4', ok: true, replayed: false },
      { id: 'b5', ok: false, code: 'insufficient_funds', accountId: 'alice' },
    ]);
    expect(await balancesOf(ledger)).toEqual({ alice: '0.00', bob: '100.00', treasury: '-100.00' });
    expect(append).toHaveBeenCalledTimes(1);
    expect(append.mock.calls[0][0].map((t) => t.id)).toEqual(['b1', 'b4']);
  });

  it('lets a transfer spend money an earlier transfer of the same call brought in', async () => {
    const { ledger } = await setup();
    const results = await ledger.post([move('in', 'treasury', 'alice', '10'), move('out', 'alice', 'bob', '10')]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(await balancesOf(ledger)).toEqual({ alice: '0.00', bob: '10.00', treasury: '-10.00' });
  });

  it('does not call append when nothing is accepted', async () => {
    const { store, ledger } = await setup();
    const append = jest.spyOn(store, 'append');
    await ledger.post([move('x', 'alice', 'bob', '1')]);
    expect(append).not.toHaveBeenCalled();
  });
});

describe('Ledger.post with newIds', () => {
  it('does not look for earlier transfers, and still posts', async () => {
    const { store, ledger } = await setup();
    const lookups = jest.spyOn(store, 'findTransferHashes');
    expect(await ledger.post([move('n1', 'treasury', 'alice', '5')], { newIds: true })).toEqual([{ id: 'n1', ok: true, replayed: false }]);
    expect(lookups).not.toHaveBeenCalled();
    expect(await balancesOf(ledger)).toEqual({ alice: '5.00', bob: '0.00', treasury: '-5.00' });
  });

  it('a reused id is not replayed but refused by the store', async () => {
    const { store, ledger } = await setup();
    await ledger.postOne(move('n1', 'treasury', 'alice', '5'));
    await expect(ledger.post([move('n1', 'treasury', 'alice', '5')], { newIds: true })).rejects.toThrow();
    expect(await transactionCount(store)).toBe(1);
  });
});

describe('Ledger.post retries', () => {
  it('replays a retry with the same body and moves nothing twice', async () => {
    const { store, ledger } = await setup();
    await ledger.post([move('r', 'treasury', 'alice', '10', { note: 'top-up' })]);
    const again = await ledger.post([move('r', 'treasury', 'alice', '10', { note: 'top-up' })]);
    expect(again).toEqual([{ id: 'r', ok: true, replayed: true }]);
    expect(await balancesOf(ledger)).toEqual({ alice: '10.00', bob: '0.00', treasury: '-10.00' });
    expect(await transactionCount(store)).toBe(1);
  });

  it('recognises a retry whose postings come in another order', async () => {
    const { ledger } = await setup();
    const transfer = move('r', 'treasury', 'alice', '10');
    await ledger.postOne(transfer);
    const [result] = await ledger.post([{ ...transfer, postings: [...transfer.postings].reverse() }]);
    expect(result).toEqual({ id: 'r', ok: true, replayed: true });
  });

  it.each<[string, Partial<Transfer>]>([
    ['amount', { postings: [posting('treasury', '-11'), posting('alice', '11')] }],
    ['account', { postings: [posting('treasury', '-10'), posting('bob', '10')] }],
    ['kind', { kind: 'refund' }],
    ['metadata', { metadata: { note: 'other' } }],
  ])('refuses the same id with a different %s', async (_, change) => {
    const { store, ledger } = await setup();
    const original = move('r', 'treasury', 'alice', '10', { note: 'top-up' });
    await ledger.postOne(original);
    expect(await ledger.post([{ ...original, ...change }])).toEqual([{ id: 'r', ok: false, code: 'exists_with_different_body' }]);
    expect(await balancesOf(ledger)).toEqual({ alice: '10.00', bob: '0.00', treasury: '-10.00' });
    expect(await transactionCount(store)).toBe(1);
  });

  it('tells apart bodies that differ only in a date in their metadata', async () => {
    const { ledger } = await setup();
    await ledger.postOne(move('r', 'treasury', 'alice', '10', { at: new Date('2026-01-01T00:00:00Z') }));
    const [result] = await ledger.post([move('r', 'treasury', 'alice', '10', { at: new Date('2026-01-02T00:00:00Z') })]);
    expect(result).toEqual({ id: 'r', ok: false, code: 'exists_with_different_body' });
  });

  it('posts an id repeated in one call once, and reports the repeat as a replay', async () => {
    const { store, ledger } = await setup();
    const results = await ledger.post([move('d', 'treasury', 'alice', '10'), move('d', 'treasury', 'alice', '10')]);
    expect(results).toEqual([
      { id: 'd', ok: true, replayed: false },
      { id: 'd', ok: true, replayed: true },
    ]);
    expect((await balancesOf(ledger)).alice).toBe('10.00');
    expect(await transactionCount(store)).toBe(1);
  });

  it('refuses a repeat in the same call that has a different body', async () => {
    const { ledger } = await setup();
    const results = await ledger.post([move('d', 'treasury', 'alice', '10'), move('d', 'treasury', 'alice', '20')]);
    expect(results).toEqual([
      { id: 'd', ok: true, replayed: false },
      { id: 'd', ok: false, code: 'exists_with_different_body' },
    ]);
    expect((await balancesOf(ledger)).alice).toBe('10.00');
  });

  it('gives a repeat in the same call the failure of its first occurrence', async () => {
    const { ledger } = await setup();
    const declined = { id: 'd', ok: false, code: 'insufficient_funds', accountId: 'alice' };
    expect(await ledger.post([move('d', 'alice', 'bob', '1'), move('d', 'alice', 'bob', '1')])).toEqual([declined, declined]);
  });
});

describe('transferFingerprint', () => {
  const postings = [posting('desk1', '1.00'), posting('desk', '11.00'), posting('treasury', '-12.00')];
  const base: Transfer = { id: 'f', kind: 'transfer', postings };

  it('does not depend on posting order, even for ids that prefix one another', () => {
    const reordered = [postings[1], postings[0], postings[2]];
    expect(transferFingerprint({ ...base, postings: reordered })).toBe(transferFingerprint(base));
    expect(transferFingerprint({ ...base, postings: [...postings].reverse() })).toBe(transferFingerprint(base));
  });

  it('ignores the id and how amounts are written, but not the amounts', () => {
    const rewritten = [posting('desk1', '1'), posting('desk', '11.0'), posting('treasury', '-12')];
    expect(transferFingerprint({ ...base, id: 'other', postings: rewritten })).toBe(transferFingerprint(base));
    const changed = [posting('desk1', '2.00'), posting('desk', '10.00'), posting('treasury', '-12.00')];
    expect(transferFingerprint({ ...base, postings: changed })).not.toBe(transferFingerprint(base));
  });
});

describe('Ledger.postOne', () => {
  it('reports whether it replayed', async () => {
    const { ledger } = await setup();
    await expect(ledger.postOne(move('p', 'treasury', 'alice', '1'))).resolves.toEqual({ replayed: false });
    await expect(ledger.postOne(move('p', 'treasury', 'alice', '1'))).resolves.toEqual({ replayed: true });
  });

  it('throws a LedgerError carrying the code and account', async () => {
    const { ledger } = await setup();
    const error = await ledger.postOne(move('p', 'alice', 'bob', '1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ code: 'insufficient_funds', accountId: 'alice', name: 'LedgerError' });
    expect((error as Error).message).toContain('alice');
  });
});

describe('Ledger.openAccounts', () => {
  it('is idempotent for the same attributes', async () => {
    const { store, ledger } = await setup();
    await expect(ledger.openAccounts([account('alice'), account('carol')])).resolves.toBeUndefined();
    expect(await store.findAccounts(['alice', 'carol'])).toEqual([account('alice'), account('carol')]);
  });

  it.each<[string, Partial<Account>]>([
    ['mayGoNegative', { mayGoNegative: true }],
    ['kind', { kind: 'merchant' }],
    ['ownerId', { ownerId: 'mallory' }],
    ['ownerType', { ownerType: 'system' }],
  ])('refuses to reopen an account with a different %s and keeps the original', async (_, change) => {
    const { store, ledger } = await setup();
    await expect(ledger.openAccounts([account('alice', false, change)])).rejects.toMatchObject({
      code: 'exists_with_different_body',
      accountId: 'alice',
    });
    expect(await store.findAccounts(['alice'])).toEqual([account('alice')]);
  });

  it('refuses conflicting duplicates within one call', async () => {
    const ledger = new Ledger(new MemoryStore());
    await expect(ledger.openAccounts([account('dup'), account('dup', true)])).rejects.toMatchObject({ code: 'exists_with_different_body' });
  });

  it('refuses another currency and opens none of the batch', async () => {
    const store = new MemoryStore();
    const ledger = new Ledger(store);
    const euro = account('euro', false, { currency: 'EUR' as typeof CURRENCY });
    await expect(ledger.openAccounts([account('carol'), euro])).rejects.toMatchObject({ code: 'currency_mismatch', accountId: 'euro' });
    expect(await store.findAccounts(['carol', 'euro'])).toEqual([]);
  });
});
