import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from '../ledger/canonical';
import { AllowlistRepository } from '../src/access/allowlist.repository';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import {
  allowlist,
  applyList,
  asMap,
  closeCard,
  community,
  door,
  doorKey,
  fullList,
  grant,
  isFull,
  lockCard,
  moveResident,
  publicKey,
  replaceCard,
  revoke,
  setClock,
  shanghaiDate,
  signedBy,
  sortedEntries,
  sweepAccessLog,
  thawClock,
  unlockCard,
  type DeltaList,
  type FullList,
  type Windows,
} from './support/doors';
import { cardUid, expectError, issueCard, listening, registerResident, type CardView } from './support/residents';

/**
 * Allowlists for offline controllers: signed full lists and deltas, versions, the purge
 * floor, and a property test in which a controller that only ever applies deltas must
 * hold exactly the full list after every sync, through random sequences of changes.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => thawClock());

const admin = bearer(TEST_ADMIN_KEY);

/** A gate of a community of its own (so its list holds only this test's residents), and its key. */
async function gate() {
  const name = community();
  const d = await door(t, name);
  return { name, door: d, key: await doorKey(t, d.id) };
}

async function residentWithCard(address: { community: string; building: string }) {
  const resident = await registerResident(t, { address });
  return { resident, card: await issueCard(t, resident.id) };
}

const get = (key: Record<string, string>, doorId: string, since?: string | number) =>
  t.http.get(`/v1/doors/${doorId}/allowlist`).query(since === undefined ? {} : { since: String(since) }).set(key);

describe('signatures', () => {
  test('the public key needs no key, is an Ed25519 SPKI PEM, and verifies a full list and a delta', async () => {
    const g = await gate();
    const { card } = await residentWithCard({ community: g.name, building: '1号楼' });
    const pk = await t.http.get('/v1/access/public-key');
    expect(pk.status).toBe(200);
    expect(pk.body).toEqual({ algorithm: 'Ed25519', publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/) });
    const key = await publicKey(t);
    expect(key.asymmetricKeyType).toBe('ed25519');

    const full = await get(g.key, g.door.id);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toMatch(/^application\/json/);
    expect(signedBy(key, full.text, full.headers.signature)).toBe(true);
    const body = JSON.parse(full.text) as FullList;
    expect(body).toEqual({ doorId: g.door.id, version: expect.any(Number), uids: [card.uid], limits: {} });

    const other = await residentWithCard({ community: g.name, building: '2号楼' });
    const delta = await get(g.key, g.door.id, body.version);
    expect(signedBy(key, delta.text, delta.headers.signature)).toBe(true);
    expect(JSON.parse(delta.text)).toEqual({ doorId: g.door.id, version: body.version + 1, since: body.version, added: [other.card.uid], removed: [], limits: {} });
  });

  test('a changed body does not verify: another version, a UID dropped, even other whitespace; nor does another key', async () => {
    const g = await gate();
    await residentWithCard({ community: g.name, building: '1号楼' });
    await residentWithCard({ community: g.name, building: '1号楼' });
    const res = await get(g.key, g.door.id);
    const key = await publicKey(t);
    const signature = res.headers.signature;
    const body = JSON.parse(res.text) as FullList;
    expect(signedBy(key, res.text, signature)).toBe(true);

    const tampered = [
      JSON.stringify({ ...body, version: body.version + 1 }),
      JSON.stringify({ ...body, uids: body.uids.slice(1) }),
      JSON.stringify({ ...body, uids: [...body.uids, cardUid()] }),
      JSON.stringify(body, null, 1),
      res.text.replace(body.uids[0], body.uids[0].toLowerCase()),
    ];
    for (const text of tampered) expect({ text, verifies: signedBy(key, text, signature) }).toEqual({ text, verifies: false });
    // One flipped bit in the signature.
    const sig = Buffer.from(signature, 'base64');
    sig[0] ^= 1;
    expect(signedBy(key, res.text, sig.toString('base64'))).toBe(false);
    // Someone else's key.
    expect(signedBy(generateKeyPairSync('ed25519').publicKey, res.text, signature)).toBe(false);
  });

  test("a list signed for one door is not another door's: the doorId is inside the signed bytes", async () => {
    const a = await gate();
    const b = await gate();
    const key = await publicKey(t);
    const res = await get(a.key, a.door.id);
    const forged = res.text.replace(a.door.id, b.door.id);
    expect(forged).not.toBe(res.text);
    expect(signedBy(key, forged, res.headers.signature)).toBe(false);
  });
});

describe('what a list holds', () => {
  test('only active cards: a locked, replaced or closed card is not on it; the replacement is', async () => {
    const g = await gate();
    const at = { community: g.name, building: '1号楼' };
    const [active, locked, replaced, closed] = [await residentWithCard(at), await residentWithCard(at), await residentWithCard(at), await residentWithCard(at)];
    await lockCard(t, locked.card.id, 'lost');
    const fresh = await replaceCard(t, replaced.card.id, 'damaged');
    await closeCard(t, closed.card.id);
    const list = await fullList(t, g.key, g.door.id);
    expect([...list.uids].sort()).toEqual([active.card.uid, fresh.uid].sort());
  });

  test('a building entrance lists its building only; a gate its whole community; grants from elsewhere', async () => {
    const name = community();
    const gateDoor = await door(t, name);
    const entrance = await door(t, name, '1号楼');
    const key = await doorKey(t, gateDoor.id, entrance.id);
    const inside = await residentWithCard({ community: name, building: '1号楼' });
    const nextDoor = await residentWithCard({ community: name, building: '2号楼' });
    const sameNameElsewhere = await residentWithCard({ community: community(), building: '1号楼' });
    const cleaner = await residentWithCard({ community: community(), building: '9号楼' });
    await grant(t, entrance.id, cleaner.resident.id);
    expect([...(await fullList(t, key, gateDoor.id)).uids].sort()).toEqual([inside.card.uid, nextDoor.card.uid].sort());
    expect([...(await fullList(t, key, entrance.id)).uids].sort()).toEqual([inside.card.uid, cleaner.card.uid].sort());
    expect((await fullList(t, key, entrance.id)).uids).not.toContain(sameNameElsewhere.card.uid);
  });

  test('limits: a grant with a window lists its windows; an address or a grant without a window is unconditional', async () => {
    setClock('2026-12-10T04:00:00Z'); // noon in Shanghai, 10 December
    const g = await gate();
    const resident = (await residentWithCard({ community: g.name, building: '1号楼' })).card;
    const nurse = await residentWithCard({ community: community(), building: '1号楼' });
    const cleaner = await residentWithCard({ community: community(), building: '1号楼' });
    const plumber = await residentWithCard({ community: community(), building: '1号楼' });
    const gone = await residentWithCard({ community: community(), building: '1号楼' });
    const soon = await residentWithCard({ community: community(), building: '1号楼' });
    await grant(t, g.door.id, nurse.resident.id, { hours: { from: '22:00', to: '06:00' } });
    await grant(t, g.door.id, nurse.resident.id, { validFrom: '2026-12-01', validUntil: '2026-12-31', hours: { from: '07:30', to: '09:00' } });
    await grant(t, g.door.id, cleaner.resident.id, { hours: { from: '08:00', to: '10:00' } });
    await grant(t, g.door.id, cleaner.resident.id);
    await grant(t, g.door.id, plumber.resident.id, { validUntil: '2026-12-10' });
    await grant(t, g.door.id, gone.resident.id, { validUntil: '2026-12-09' });
    await grant(t, g.door.id, soon.resident.id, { validFrom: '2026-12-11' });
    // The resident of the community also has a windowed grant: the address wins.
    await grant(t, g.door.id, (await t.knex('cards').where({ id: resident.id }).first('resident_id')).resident_id, { hours: { from: '01:00', to: '02:00' } });

    const list = await fullList(t, g.key, g.door.id);
    expect([...list.uids].sort()).toEqual([resident.uid, nurse.card.uid, cleaner.card.uid, plumber.card.uid, soon.card.uid].sort());
    const byCanonical = (w: Windows) => [...w].sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
    expect({ ...list.limits, [nurse.card.uid]: byCanonical(list.limits[nurse.card.uid]) }).toEqual({
      [nurse.card.uid]: byCanonical([{ hours: { from: '22:00', to: '06:00' } }, { validFrom: '2026-12-01', validUntil: '2026-12-31', hours: { from: '07:30', to: '09:00' } }]),
      [plumber.card.uid]: [{ validUntil: '2026-12-10' }],
      [soon.card.uid]: [{ validFrom: '2026-12-11' }],
    });
  });

  test('when the last valid day of a grant has passed, the next list drops the UID at a new version', async () => {
    setClock('2026-12-10T15:59:00Z'); // 23:59 on 10 December in Shanghai
    const g = await gate();
    const visitor = await residentWithCard({ community: community(), building: '1号楼' });
    await grant(t, g.door.id, visitor.resident.id, { validUntil: '2026-12-10' });
    const before = await fullList(t, g.key, g.door.id);
    expect(before.uids).toEqual([visitor.card.uid]);
    setClock('2026-12-10T16:01:00Z'); // 00:01 on the 11th
    const delta = (await allowlist(t, g.key, g.door.id, before.version)) as DeltaList;
    expect(delta).toEqual({ doorId: g.door.id, version: before.version + 1, since: before.version, added: [], removed: [visitor.card.uid], limits: {} });
  });

  test('an admin may read any list; it is the same list the door gets', async () => {
    const g = await gate();
    await residentWithCard({ community: g.name, building: '1号楼' });
    const doorView = await get(g.key, g.door.id);
    const adminView = await get(admin, g.door.id);
    expect(adminView.status).toBe(200);
    expect(adminView.text).toBe(doorView.text);
  });
});

describe('versions', () => {
  test('a new version for every change that affects the door, the same version (and bytes) when nothing did', async () => {
    const g = await gate();
    const elsewhere = community();
    const versionOf = async () => (await fullList(t, g.key, g.door.id)).version;
    const same = async (what: string, before: number) => expect({ what, version: await versionOf() }).toEqual({ what, version: before });
    const next = async (what: string, before: number) => {
      const v = await versionOf();
      expect({ what, version: v }).toEqual({ what, version: before + 1 });
      return v;
    };

    let v = await versionOf();
    const first = await get(g.key, g.door.id);
    const again = await get(g.key, g.door.id);
    expect({ text: again.text, signature: again.headers.signature }).toEqual({ text: first.text, signature: first.headers.signature });
    await same('nothing happened', v);

    const a = await residentWithCard({ community: g.name, building: '1号楼' });
    v = await next('a card issued to a resident of the community', v);
    const outsider = await residentWithCard({ community: elsewhere, building: '1号楼' });
    await same('a card issued elsewhere', v);
    await lockCard(t, outsider.card.id);
    await same('a card locked elsewhere', v);
    await t.http.patch(`/v1/residents/${a.resident.id}`).set(admin).send({ tags: ['disabled'] });
    await same('a PATCH of tags', v);
    await t.http.patch(`/v1/residents/${a.resident.id}`).set(admin).send({ address: { community: g.name, building: '2号楼' } });
    await same('a move within the community (a gate does not care about buildings)', v);

    await lockCard(t, a.card.id);
    v = await next('lock', v);
    await unlockCard(t, a.card.id);
    v = await next('unlock', v);
    const fresh = await replaceCard(t, a.card.id);
    v = await next('replace', v);

    const visitor = (await residentWithCard({ community: elsewhere, building: '3号楼' })).resident;
    const g1 = await grant(t, g.door.id, visitor.id, { hours: { from: '08:00', to: '18:00' } });
    v = await next('a grant with hours', v);
    const g2 = await grant(t, g.door.id, visitor.id, { hours: { from: '20:00', to: '22:00' } });
    v = await next('a second window for the same UID', v);
    await grant(t, (await door(t, elsewhere)).id, visitor.id);
    await same('a grant on another door', v);
    await revoke(t, g.door.id, g2.id);
    v = await next('one of two grants revoked', v);
    await revoke(t, g.door.id, g2.id);
    await same('the same revoke again', v);
    await revoke(t, g.door.id, g1.id);
    v = await next('the last grant revoked', v);

    await moveResident(t, a.resident.id, { community: elsewhere, building: '1号楼' });
    v = await next('moved out of the community', v);
    await moveResident(t, a.resident.id, { community: g.name, building: '1号楼' });
    v = await next('moved back', v);
    await closeCard(t, fresh.id);
    v = await next('close', v);
    await same('nothing since', v);
  });

  test('controllers syncing at the same moment after a change all get the one new version and the same bytes', async () => {
    const g = await gate();
    await residentWithCard({ community: g.name, building: '1号楼' });
    const before = (await fullList(t, g.key, g.door.id)).version;
    await residentWithCard({ community: g.name, building: '2号楼' });
    const http = await listening(t);
    const answers = await Promise.all(Array.from({ length: 6 }, () => http.get(`/v1/doors/${g.door.id}/allowlist`).set(g.key)));
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((r) => r.text)).size).toBe(1);
    expect((JSON.parse(answers[0].text) as FullList).version).toBe(before + 1);
    expect((await fullList(t, g.key, g.door.id)).version).toBe(before + 1);
  });

  test('versions are per door: a change at one door leaves the other door at its version', async () => {
    const name = community();
    const d1 = await door(t, name, '1号楼');
    const d2 = await door(t, name, '2号楼');
    const key = await doorKey(t, d1.id, d2.id);
    const v1 = (await fullList(t, key, d1.id)).version;
    const v2 = (await fullList(t, key, d2.id)).version;
    await residentWithCard({ community: name, building: '1号楼' });
    expect((await fullList(t, key, d1.id)).version).toBe(v1 + 1);
    expect((await fullList(t, key, d2.id)).version).toBe(v2);
  });
});

describe('deltas', () => {
  test('what changed since a version: added (new or changed, with limits), removed; applied to the old list it gives the new one', async () => {
    const g = await gate();
    const stay = await residentWithCard({ community: g.name, building: '1号楼' });
    const leave = await residentWithCard({ community: g.name, building: '1号楼' });
    const visitor = await residentWithCard({ community: community(), building: '1号楼' });
    const windowed = await grant(t, g.door.id, visitor.resident.id, { hours: { from: '09:00', to: '17:00' } });
    const before = await fullList(t, g.key, g.door.id);

    await lockCard(t, leave.card.id);
    const joiner = await residentWithCard({ community: g.name, building: '2号楼' });
    await grant(t, g.door.id, visitor.resident.id, { validUntil: shanghaiDate(30) });
    const delta = (await allowlist(t, g.key, g.door.id, before.version)) as DeltaList;
    expect(delta).toEqual({
      doorId: g.door.id,
      version: before.version + 1,
      since: before.version,
      added: [joiner.card.uid, visitor.card.uid].sort(),
      removed: [leave.card.uid],
      limits: { [visitor.card.uid]: expect.any(Array) },
    });
    expect(delta.limits[visitor.card.uid]).toHaveLength(2);
    const after = await fullList(t, g.key, g.door.id);
    expect(sortedEntries(applyList(asMap(before), delta))).toEqual(sortedEntries(asMap(after)));
    expect(after.uids).toContain(stay.card.uid);

    // A windowed UID that becomes unconditional is "added" again, without limits.
    await revoke(t, g.door.id, windowed.id);
    await grant(t, g.door.id, visitor.resident.id);
    const toOpen = (await allowlist(t, g.key, g.door.id, after.version)) as DeltaList;
    expect(toOpen).toEqual({ doorId: g.door.id, version: after.version + 1, since: after.version, added: [visitor.card.uid], removed: [], limits: {} });
  });

  test('since the current version: an empty delta; since 0: everything, which applied to nothing is the full list', async () => {
    const g = await gate();
    const a = await residentWithCard({ community: g.name, building: '1号楼' });
    await fullList(t, g.key, g.door.id);
    await lockCard(t, a.card.id);
    await residentWithCard({ community: g.name, building: '1号楼' });
    const full = await fullList(t, g.key, g.door.id);
    expect(await allowlist(t, g.key, g.door.id, full.version)).toEqual({ doorId: g.door.id, version: full.version, since: full.version, added: [], removed: [], limits: {} });
    const fromZero = (await allowlist(t, g.key, g.door.id, 0)) as DeltaList;
    expect(isFull(fromZero)).toBe(false);
    expect(fromZero.removed).toEqual([a.card.uid]);
    expect(sortedEntries(applyList(new Map(), fromZero))).toEqual(sortedEntries(asMap(full)));
  });

  test('a version the door never had (ahead of it) gets the full list', async () => {
    const g = await gate();
    await residentWithCard({ community: g.name, building: '1号楼' });
    const full = await fullList(t, g.key, g.door.id);
    for (const since of [full.version + 1, full.version + 1000, 999_999_999_999_999]) {
      expect({ since, list: await allowlist(t, g.key, g.door.id, since) }).toEqual({ since, list: full });
    }
  });

  test.each([['abc'], ['-1'], ['1.5'], ['01'], ['1e2'], ['']])('since=%p: 400 validation_failed naming since, and no list written', async (since) => {
    const g = await gate();
    await residentWithCard({ community: g.name, building: '1号楼' });
    const res = await t.http.get(`/v1/doors/${g.door.id}/allowlist?since=${since}`).set(g.key);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('since');
    expect(Number((await t.knex('allowlist_entries').where({ door_id: g.door.id }).count<{ n: string }[]>('* as n'))[0].n)).toBe(0);
    expect(Number((await t.knex('doors').where({ id: g.door.id }).first('list_version')).list_version)).toBe(0);
  });
});

describe('a controller that only applies deltas holds the full list after every sync (property)', () => {
  type Address = 0 | 1 | 2; // (C, 1号楼), (C, 2号楼), (elsewhere, 1号楼)
  type Op =
    | { kind: 'issue'; who: number; reuse: boolean }
    | { kind: 'lock'; who: number; reason: 'lost' | 'suspended' }
    | { kind: 'unlock'; who: number }
    | { kind: 'replace'; who: number; reason: 'damaged' | 'lost' }
    | { kind: 'close'; who: number }
    | { kind: 'grant'; who: number; from?: number; days?: number; hours?: [number, number] }
    | { kind: 'revoke'; who: number; which: number }
    | { kind: 'move'; who: number; to: Address }
    | { kind: 'sync'; client: 0 | 1 }
    | { kind: 'syncAhead'; client: 0 | 1; by: number };

  const who = fc.nat(3);
  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('issue' as const), who, reuse: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('lock' as const), who, reason: fc.constantFrom('lost' as const, 'suspended' as const) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('unlock' as const), who }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('replace' as const), who, reason: fc.constantFrom('damaged' as const, 'lost' as const) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('close' as const), who }), weight: 2 },
    {
      arbitrary: fc.record(
        {
          kind: fc.constant('grant' as const),
          who,
          from: fc.integer({ min: -3, max: 2 }),
          days: fc.integer({ min: 0, max: 4 }),
          hours: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 })).filter(([a, b]) => a !== b),
        },
        { requiredKeys: ['kind', 'who'] },
      ),
      weight: 4,
    },
    { arbitrary: fc.record({ kind: fc.constant('revoke' as const), who, which: fc.nat(3) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('move' as const), who, to: fc.constantFrom<Address>(0, 1, 2) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('sync' as const), client: fc.constantFrom<0 | 1>(0, 1) }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('syncAhead' as const), client: fc.constantFrom<0 | 1>(0, 1), by: fc.integer({ min: 1, max: 5 }) }), weight: 1 },
  );

  // The service's clock is set to noon in Shanghai on 10 December 2026, so "today" cannot move under the run.
  const NOW = '2026-12-10T04:00:00Z';
  const TODAY = '2026-12-10';
  const day = (offset: number) => new Date(Date.UTC(2026, 11, 10 + offset)).toISOString().slice(0, 10);
  const two = (n: number) => String(n).padStart(2, '0');

  interface ModelCard {
    card: CardView;
    status: 'active' | 'locked' | 'replaced' | 'closed';
    lockReason: 'lost' | 'suspended' | null;
  }
  interface ModelResident {
    id: string;
    address: Address;
    card: ModelCard | null;
    grants: { id: string; window: { validFrom?: string; validUntil?: string; hours?: { from: string; to: string } } }[];
  }

  async function run(ops: Op[], onBuilding: boolean): Promise<number> {
    setClock(NOW);
    const name = community('prop');
    const elsewhere = community('prop');
    const addresses = [
      { community: name, building: '1号楼' },
      { community: name, building: '2号楼' },
      { community: elsewhere, building: '1号楼' },
    ];
    const target = onBuilding ? await door(t, name, '1号楼') : await door(t, name);
    const key = await doorKey(t, target.id);
    const residents: ModelResident[] = [];
    // Four residents, each with a card; both controllers start from a full list.
    for (let i = 0; i < 4; i++) {
      const id = (await registerResident(t, { address: addresses[i % 3] })).id;
      residents.push({ id, address: (i % 3) as Address, card: { card: await issueCard(t, id), status: 'active', lockReason: null }, grants: [] });
    }
    const reusable: string[] = [];
    const clients: { version: number | null; held: Map<string, Windows | null> }[] = [
      { version: null, held: new Map() },
      { version: null, held: new Map() },
    ];
    let syncs = 0;
    /** The door's version as of the last answer: every GET is this test's, so it is exact. */
    let doorVersion = 0;

    const canonicalWindows = (w: Windows | null) => (w === null ? null : w.map((x) => canonicalJson(x)).sort());
    const comparable = (m: Map<string, Windows | null>) => sortedEntries(m).map(([uid, w]) => [uid, canonicalWindows(w)]);

    /** The list as the model says it should be: active cards, by address or by a grant not yet over. */
    function expected(): Map<string, Windows | null> {
      const list = new Map<string, Windows | null>();
      for (const r of residents) {
        if (r.card?.status !== 'active') continue;
        const byAddress = r.address === 0 || (!onBuilding && r.address === 1);
        const live = r.grants.filter((g) => g.window.validUntil === undefined || g.window.validUntil >= TODAY);
        if (byAddress || live.some((g) => Object.keys(g.window).length === 0)) list.set(r.card.card.uid, null);
        else if (live.length > 0) list.set(r.card.card.uid, live.map((g) => g.window));
      }
      return list;
    }

    /** `ahead`: ask with a version the door has not reached even after this GET (a controller restored from elsewhere). */
    async function sync(client: 0 | 1, ahead?: number) {
      const c = clients[client];
      const since = ahead !== undefined ? doorVersion + 1 + ahead : (c.version ?? undefined);
      const answer = await allowlist(t, key, target.id, since);
      doorVersion = answer.version;
      if (since === undefined || ahead !== undefined) expect({ since, full: isFull(answer) }).toEqual({ since, full: true });
      else expect({ since, full: isFull(answer) }).toEqual({ since, full: false });
      c.held = applyList(c.held, answer);
      c.version = answer.version;
      const fresh = await fullList(t, key, target.id);
      expect({ client, version: c.version, list: comparable(c.held) }).toEqual({ client, version: fresh.version, list: comparable(asMap(fresh)) });
      expect(comparable(asMap(fresh))).toEqual(comparable(expected()));
      syncs++;
    }

    await sync(0);
    await sync(1);
    for (const o of ops) {
      if (o.kind === 'sync' || o.kind === 'syncAhead') {
        await sync(o.client, o.kind === 'syncAhead' ? o.by : undefined);
        continue;
      }
      const r = residents[o.who];
      const card = r.card;
      const usable = card !== null && (card.status === 'active' || card.status === 'locked');
      switch (o.kind) {
        case 'issue': {
          if (usable) break;
          const uid = o.reuse && reusable.length > 0 ? reusable.shift()! : cardUid();
          r.card = { card: await issueCard(t, r.id, uid), status: 'active', lockReason: null };
          break;
        }
        case 'lock':
          if (card?.status !== 'active') break;
          await lockCard(t, card.card.id, o.reason);
          card.status = 'locked';
          card.lockReason = o.reason;
          break;
        case 'unlock':
          if (card?.status !== 'locked') break;
          await unlockCard(t, card.card.id);
          card.status = 'active';
          card.lockReason = null;
          break;
        case 'replace':
          if (!usable) break;
          card!.status = 'replaced';
          r.card = { card: await replaceCard(t, card!.card.id, o.reason), status: 'active', lockReason: null };
          break;
        case 'close':
          if (!usable) break;
          await closeCard(t, card!.card.id);
          card!.status = 'closed';
          // A UID reported lost is retired for good; any other closed UID may be issued again.
          if (card!.lockReason !== 'lost') reusable.push(card!.card.uid);
          break;
        case 'grant': {
          const window = {
            ...(o.from !== undefined ? { validFrom: day(o.from) } : {}),
            ...(o.days !== undefined ? { validUntil: day((o.from ?? -1) + o.days) } : {}),
            ...(o.hours !== undefined ? { hours: { from: `${two(o.hours[0])}:00`, to: `${two(o.hours[1])}:00` } } : {}),
          };
          r.grants.push({ id: (await grant(t, target.id, r.id, window)).id, window });
          break;
        }
        case 'revoke': {
          if (r.grants.length === 0) break;
          const [gone] = r.grants.splice(o.which % r.grants.length, 1);
          await revoke(t, target.id, gone.id);
          break;
        }
        case 'move':
          await moveResident(t, r.id, addresses[o.to]);
          r.address = o.to;
          break;
      }
    }
    // Both controllers end in sync with the door.
    await sync(0);
    await sync(1);
    thawClock();
    return syncs;
  }

  test('random changes (cards issued, locked, unlocked, replaced, closed, UIDs reused; grants with and without windows, revoked; moves) between syncs', async () => {
    let syncs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 24 }), fc.boolean(), async (ops, onBuilding) => {
        syncs += await run(ops, onBuilding);
      }),
      { numRuns: 30 },
    );
    // Every run starts and ends with a sync of each controller, besides the syncs it drew.
    expect(syncs).toBeGreaterThanOrEqual(30 * 4);
  });

  test('the checker really checks: a hand-written sequence through the same model', async () => {
    // Every kind of change, a UID reused after a close, a stale client and one ahead of the door.
    // Residents 0 and 3 live in the community's 1号楼, 1 in its 2号楼, 2 elsewhere; the door is the gate.
    expect(
      await run(
        [
          { kind: 'grant', who: 2, hours: [22, 6] },
          { kind: 'grant', who: 2, from: -1, days: 3 },
          { kind: 'sync', client: 0 },
          { kind: 'lock', who: 0, reason: 'suspended' },
          { kind: 'close', who: 0 },
          { kind: 'close', who: 1 },
          { kind: 'issue', who: 1, reuse: true }, // resident 0's old UID, now resident 1's
          { kind: 'sync', client: 0 },
          { kind: 'move', who: 2, to: 0 },
          { kind: 'replace', who: 2, reason: 'lost' },
          { kind: 'revoke', who: 2, which: 0 },
          { kind: 'sync', client: 1 }, // stale since the start
          { kind: 'move', who: 2, to: 2 },
          { kind: 'grant', who: 3, days: 0, from: -2 }, // over two days ago
          { kind: 'syncAhead', client: 0, by: 3 },
          { kind: 'issue', who: 0, reuse: false },
          { kind: 'lock', who: 3, reason: 'lost' },
          { kind: 'unlock', who: 3 },
          { kind: 'sync', client: 0 },
          { kind: 'sync', client: 1 },
        ],
        false,
      ),
    ).toBe(10);
  });
});

describe('the purge floor: removals older than 30 days are forgotten', () => {
  /** A door with a removal (a locked card) served at some version, and a later version. */
  async function doorWithRemoval() {
    const g = await gate();
    const a = await residentWithCard({ community: g.name, building: '1号楼' });
    const b = await residentWithCard({ community: g.name, building: '1号楼' });
    const v1 = (await fullList(t, g.key, g.door.id)).version;
    await lockCard(t, a.card.id);
    const v2 = (await fullList(t, g.key, g.door.id)).version;
    await residentWithCard({ community: g.name, building: '1号楼' });
    const v3 = (await fullList(t, g.key, g.door.id)).version;
    return { ...g, a, b, v1, v2, v3 };
  }
  const floorOf = async (doorId: string) => Number((await t.knex('doors').where({ id: doorId }).first('list_floor')).list_floor);
  const tombstones = async (doorId: string) => t.knex('allowlist_entries').where({ door_id: doorId, removed: true }).pluck('uid');

  test('after the purge, a delta from before the removal is a full list; from the removal on, still a delta', async () => {
    const d = await doorWithRemoval();
    expect(await tombstones(d.door.id)).toEqual([d.a.card.uid]);
    // Purged as the retention job does (its cutoff is 30 days before now; here a minute from now).
    await t.app.get(AllowlistRepository).purgeTombstones(t.knex, new Date(Date.now() + 60_000));
    expect(await tombstones(d.door.id)).toEqual([]);
    expect(await floorOf(d.door.id)).toBe(d.v2);

    const full = await fullList(t, d.key, d.door.id);
    expect(full.version).toBe(d.v3);
    expect(await allowlist(t, d.key, d.door.id, d.v1)).toEqual(full);
    expect(isFull(await allowlist(t, d.key, d.door.id, d.v2))).toBe(false);
    const fromV2 = (await allowlist(t, d.key, d.door.id, d.v2)) as DeltaList;
    expect(fromV2.removed).toEqual([]);
    expect(fromV2.added).toHaveLength(1);
  });

  test('the retention job purges removals older than 30 days, not younger, and raises the floor', async () => {
    const d = await doorWithRemoval();
    const DAY = 86_400_000;
    const young = await sweepAccessLog(t, new Date(Date.now() + 29 * DAY));
    expect(await tombstones(d.door.id)).toEqual([d.a.card.uid]);
    expect(await floorOf(d.door.id)).toBe(0);
    expect(young.tombstones).toBe(0);

    const old = await sweepAccessLog(t, new Date(Date.now() + 31 * DAY));
    expect(old.tombstones).toBeGreaterThanOrEqual(1);
    expect(await tombstones(d.door.id)).toEqual([]);
    expect(await floorOf(d.door.id)).toBe(d.v2);
    expect(isFull(await allowlist(t, d.key, d.door.id, d.v1))).toBe(true);
  });

  test('a UID removed, purged, then allowed again is on the list again', async () => {
    const d = await doorWithRemoval();
    await t.app.get(AllowlistRepository).purgeTombstones(t.knex, new Date(Date.now() + 60_000));
    await unlockCard(t, d.a.card.id);
    const delta = (await allowlist(t, d.key, d.door.id, d.v3)) as DeltaList;
    expect(delta).toEqual({ doorId: d.door.id, version: d.v3 + 1, since: d.v3, added: [d.a.card.uid], removed: [], limits: {} });
  });
});

test('an unknown door id in a list request by an admin: 404 door_not_found', async () => {
  expectError(await t.http.get(`/v1/doors/${randomUUID()}/allowlist`).set(admin), 404, 'door_not_found');
});
