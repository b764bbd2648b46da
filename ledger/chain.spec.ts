import { GENESIS_HASH, extendChain, sealHash, type ChainTransaction } from './chain';

function tx(id: string, overrides: Partial<ChainTransaction> = {}): ChainTransaction {
  return {
    id,
    kind: 'transfer',
    createdAt: '2026-11-29T06:22:00.123456Z',
    bodyHash: 'b'.repeat(64),
    metadata: { note: 'top-up', terminal: 7 },
    entries: [
      { accountId: 'alice', amount: '10.00' },
      { accountId: 'treasury', amount: '-10.00' },
    ],
    ...overrides,
  };
}

const PREV = 'a'.repeat(64);

describe('extendChain', () => {
  it('starts at position 1 after the genesis hash and links each link to the one before', () => {
    const txs = [tx('t1'), tx('t2'), tx('t3')];
    const links = extendChain(null, txs);
    expect(links.map((l) => l.position)).toEqual(['1', '2', '3']);
    expect(links.map((l) => l.transactionId)).toEqual(['t1', 't2', 't3']);
    expect(links[0].prevHash).toBe(GENESIS_HASH);
    expect(links[1].prevHash).toBe(links[0].hash);
    expect(links[2].prevHash).toBe(links[1].hash);
    links.forEach((l, i) => expect(l.hash).toBe(sealHash(l.prevHash, l.position, txs[i])));
    expect(new Set(links.map((l) => l.hash)).size).toBe(3);
  });

  it('continues after a head exactly as one long run would', () => {
    const all = extendChain(null, [tx('t1'), tx('t2'), tx('t3')]);
    expect(extendChain(all[1], [tx('t3')])).toEqual([all[2]]);
  });

  it('counts positions past the range of a JavaScript number', () => {
    const [link] = extendChain({ position: '9007199254740993', hash: PREV }, [tx('t')]);
    expect(link.position).toBe('9007199254740994');
    expect(link.prevHash).toBe(PREV);
  });

  it('returns nothing for nothing', () => {
    expect(extendChain({ position: '5', hash: PREV }, [])).toEqual([]);
  });
});

describe('sealHash', () => {
  const base = sealHash(PREV, '1', tx('t'));

  it('is a SHA-256 hex digest', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, () => string]>([
    ['an amount', () => sealHash(PREV, '1', tx('t', { entries: [{ accountId: 'alice', amount: '10.01' }, { accountId: 'treasury', amount: '-10.00' }] }))],
    ['an account', () => sealHash(PREV, '1', tx('t', { entries: [{ accountId: 'bob', amount: '10.00' }, { accountId: 'treasury', amount: '-10.00' }] }))],
    ['an entry is dropped', () => sealHash(PREV, '1', tx('t', { entries: [{ accountId: 'alice', amount: '10.00' }] }))],
    ['the metadata', () => sealHash(PREV, '1', tx('t', { metadata: { note: 'top-up', terminal: 8 } }))],
    ['the metadata loses a key', () => sealHash(PREV, '1', tx('t', { metadata: { note: 'top-up' } }))],
    ['createdAt, by a microsecond', () => sealHash(PREV, '1', tx('t', { createdAt: '2026-11-29T06:22:00.123457Z' }))],
    ['prevHash', () => sealHash('c'.repeat(64), '1', tx('t'))],
    ['position', () => sealHash(PREV, '2', tx('t'))],
    ['the transaction id', () => sealHash(PREV, '1', tx('u'))],
    ['kind', () => sealHash(PREV, '1', tx('t', { kind: 'refund' }))],
    ['bodyHash', () => sealHash(PREV, '1', tx('t', { bodyHash: 'c'.repeat(64) }))],
  ])('changes when %s changes', (_, changed) => {
    expect(changed()).not.toBe(base);
  });

  it('does not depend on entry order, nor on metadata key order', () => {
    const reordered = tx('t', {
      entries: [...tx('t').entries].reverse(),
      metadata: { terminal: 7, note: 'top-up' },
    });
    expect(sealHash(PREV, '1', reordered)).toBe(base);
  });

  it('orders several entries of one account by amount', () => {
    const entries = [
      { accountId: 'alice', amount: '3.00' },
      { accountId: 'alice', amount: '7.00' },
      { accountId: 'treasury', amount: '-10.00' },
    ];
    const shuffled = [entries[2], entries[1], entries[0]];
    expect(sealHash(PREV, '1', tx('t', { entries: shuffled }))).toBe(sealHash(PREV, '1', tx('t', { entries })));
  });

  it('does not sort the caller’s entries in place', () => {
    const entries = [
      { accountId: 'treasury', amount: '-10.00' },
      { accountId: 'alice', amount: '10.00' },
    ];
    sealHash(PREV, '1', tx('t', { entries }));
    expect(entries.map((e) => e.accountId)).toEqual(['treasury', 'alice']);
  });
});
