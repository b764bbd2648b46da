import fc from 'fast-check';
import { canonicalJson } from '../../ledger/canonical';
import { diffEntries, type Limits, limitsOf, mergeRights, type RightRow, type StoredEntry } from './allowlist';

const address = (uid: string): RightRow => ({ uid, valid_from: null, valid_until: null, hours_from: null, hours_to: null, from_grant: false });
/** A map's entries in UID order, as one comparable string. */
const canonicalMap = (m: Map<string, Limits>) => canonicalJson([...m].sort(([a], [b]) => a.localeCompare(b)));

const grantRow = (uid: string, w: { from?: string; until?: string; hours?: [number, number] } = {}): RightRow => ({
  uid,
  valid_from: w.from ?? null,
  valid_until: w.until ?? null,
  hours_from: w.hours?.[0] ?? null,
  hours_to: w.hours?.[1] ?? null,
  from_grant: true,
});

describe('mergeRights', () => {
  test('an address right is unconditional (null)', () => {
    expect(mergeRights([address('AA')])).toEqual(new Map([['AA', null]]));
  });

  test('a grant without a window is unconditional too', () => {
    expect(mergeRights([grantRow('AA')])).toEqual(new Map([['AA', null]]));
  });

  test('a grant with a window lists it, hours as HH:MM, only the fields it has', () => {
    expect(mergeRights([grantRow('AA', { hours: [420, 1140] })])).toEqual(new Map([['AA', [{ hours: { from: '07:00', to: '19:00' } }]]]));
    expect(mergeRights([grantRow('BB', { from: '2026-12-01' })])).toEqual(new Map([['BB', [{ validFrom: '2026-12-01' }]]]));
    expect(mergeRights([grantRow('CC', { from: '2026-12-01', until: '2026-12-31', hours: [1320, 360] })])).toEqual(
      new Map([['CC', [{ validFrom: '2026-12-01', validUntil: '2026-12-31', hours: { from: '22:00', to: '06:00' } }]]]),
    );
  });

  test('an unconditional right wins over windows, whichever row comes first', () => {
    const rows = [grantRow('AA', { hours: [420, 1140] }), address('AA'), grantRow('AA', { from: '2026-12-01' })];
    for (const order of [rows, [...rows].reverse(), [rows[1], rows[0], rows[2]]]) expect(mergeRights(order)).toEqual(new Map([['AA', null]]));
    expect(mergeRights([grantRow('AA', { hours: [0, 60] }), grantRow('AA')])).toEqual(new Map([['AA', null]]));
  });

  test('several windows of one UID are all kept, in an order that does not depend on the rows', () => {
    const a = grantRow('AA', { hours: [420, 540] });
    const b = grantRow('AA', { from: '2026-12-01', until: '2026-12-02' });
    const c = grantRow('AA', { hours: [1320, 360] });
    const merged = mergeRights([a, b, c]);
    expect(merged.get('AA')).toHaveLength(3);
    expect(canonicalJson(mergeRights([c, a, b]).get('AA'))).toBe(canonicalJson(merged.get('AA')));
    expect(canonicalJson(mergeRights([b, c, a]).get('AA'))).toBe(canonicalJson(merged.get('AA')));
  });

  test('property: the merge of any permutation of the rows is the same list', () => {
    const row = fc.record({
      uid: fc.constantFrom('AA', 'BB', 'CC'),
      kind: fc.constantFrom('address', 'open', 'window'),
      from: fc.option(fc.constantFrom('2026-12-01', '2026-12-05'), { nil: undefined }),
      until: fc.option(fc.constantFrom('2026-12-10', '2026-12-31'), { nil: undefined }),
      hours: fc.option(fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 })), { nil: undefined }),
    });
    const toRow = (r: { uid: string; kind: string; from?: string; until?: string; hours?: [number, number] }): RightRow =>
      r.kind === 'address' ? address(r.uid) : r.kind === 'open' ? grantRow(r.uid) : grantRow(r.uid, { from: r.from, until: r.until, hours: r.hours });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }).chain((rows) => fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }))), ([rows, shuffled]) => {
        const one = mergeRights(rows.map(toRow));
        const two = mergeRights(shuffled.map(toRow));
        expect(canonicalMap(two)).toBe(canonicalMap(one));
      }),
    );
  });
});

describe('diffEntries', () => {
  const stored = (uid: string, limits: Limits, removed = false): StoredEntry => ({ uid, limits, removed });

  test('new UIDs are added, missing ones removed, unchanged ones left alone', () => {
    const wanted = new Map<string, Limits>([
      ['AA', null],
      ['BB', [{ hours: { from: '07:00', to: '19:00' } }]],
    ]);
    const changes = diffEntries(wanted, [stored('AA', null), stored('CC', null)]);
    expect(changes.sort((x, y) => x.uid.localeCompare(y.uid))).toEqual([
      { uid: 'BB', limits: [{ hours: { from: '07:00', to: '19:00' } }], removed: false },
      { uid: 'CC', limits: null, removed: true },
    ]);
  });

  test('changed limits are a change, both ways between conditional and unconditional', () => {
    const windowed: Limits = [{ validUntil: '2026-12-31' }];
    expect(diffEntries(new Map([['AA', windowed]]), [stored('AA', null)])).toEqual([{ uid: 'AA', limits: windowed, removed: false }]);
    expect(diffEntries(new Map([['AA', null]]), [stored('AA', windowed)])).toEqual([{ uid: 'AA', limits: null, removed: false }]);
    expect(diffEntries(new Map([['AA', [{ validUntil: '2027-01-31' }]]]), [stored('AA', windowed)])).toEqual([{ uid: 'AA', limits: [{ validUntil: '2027-01-31' }], removed: false }]);
  });

  test('a tombstone is revived when the UID is wanted again, and left alone when it is not', () => {
    expect(diffEntries(new Map([['AA', null]]), [stored('AA', null, true)])).toEqual([{ uid: 'AA', limits: null, removed: false }]);
    expect(diffEntries(new Map(), [stored('AA', null, true)])).toEqual([]);
  });

  test('limits that differ only in key order (as jsonb returns them) are not a change', () => {
    const wanted = new Map<string, Limits>([['AA', [{ validFrom: '2026-12-01', hours: { from: '07:00', to: '19:00' } }]]]);
    const reordered = [{ hours: { to: '19:00', from: '07:00' }, validFrom: '2026-12-01' }];
    expect(diffEntries(wanted, [stored('AA', reordered)])).toEqual([]);
  });

  test('property: applying the diff makes the stored list the wanted one, and a second diff is empty', () => {
    const limits: fc.Arbitrary<Limits> = fc.option(
      fc.array(fc.record({ validUntil: fc.constantFrom('2026-12-01', '2026-12-31') }, { requiredKeys: [] }), { minLength: 1, maxLength: 2 }),
      { nil: null },
    );
    const uid = fc.constantFrom('AA', 'BB', 'CC', 'DD', 'EE');
    fc.assert(
      fc.property(fc.dictionary(uid, limits), fc.dictionary(uid, fc.tuple(limits, fc.boolean())), (wantedObj, storedObj) => {
        const wanted = new Map(Object.entries(wantedObj));
        const before: StoredEntry[] = Object.entries(storedObj).map(([u, [l, removed]]) => stored(u, removed ? null : l, removed));
        const after = new Map(before.map((e) => [e.uid, e]));
        for (const c of diffEntries(wanted, before)) after.set(c.uid, { uid: c.uid, limits: c.limits, removed: c.removed });
        const live = new Map([...after.values()].filter((e) => !e.removed).map((e) => [e.uid, e.limits]));
        expect(canonicalMap(live)).toBe(canonicalMap(wanted));
        expect(diffEntries(wanted, [...after.values()])).toEqual([]);
      }),
    );
  });
});

describe('limitsOf', () => {
  test('lists only conditional entries, with window keys in one order', () => {
    const entries = [
      { uid: 'AA', limits: null },
      { uid: 'BB', limits: [{ hours: { to: '19:00', from: '07:00' }, validUntil: '2026-12-31', validFrom: '2026-12-01' }] },
    ];
    const limits = limitsOf(entries);
    expect(limits).toEqual({ BB: [{ validFrom: '2026-12-01', validUntil: '2026-12-31', hours: { from: '07:00', to: '19:00' } }] });
    expect(JSON.stringify(limits)).toBe('{"BB":[{"validFrom":"2026-12-01","validUntil":"2026-12-31","hours":{"from":"07:00","to":"19:00"}}]}');
  });
});
