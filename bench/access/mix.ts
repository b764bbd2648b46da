import { BUILDINGS, type World } from './seed';

/** One check a door controller sends, with the exact answer body the service must give. */
export interface CheckRequest {
  method: 'POST';
  path: '/v1/access/check';
  headers: Record<string, string>;
  body: string;
  /** The exact JSON the service answers (key order as the handler builds it). */
  expected: string;
  kind: MixKind;
}

export type MixKind = 'gate' | 'building' | 'grant_always' | 'grant_in_hours' | 'grant_outside_hours' | 'no_access' | 'unknown_card' | 'locked_card';

/** Shares of the load mix, in percent. */
export const MIX: Record<MixKind, number> = {
  gate: 40,
  building: 30,
  grant_always: 4,
  grant_in_hours: 3,
  grant_outside_hours: 3,
  no_access: 10,
  unknown_card: 5,
  locked_card: 5,
};

/** Residents reserved for the revocation trials: never in the load mix, so locking them changes no expected answer. */
export function revocationResidents(world: World, trials: number): number[] {
  const n = world.shape.cards;
  const out: number[] = [];
  // From the top of the range, skipping grant holders (every 20th) and residents without a gate door.
  for (let i = n - 1; i >= 0 && out.length < trials; i--) if (i % 20 !== 0 && world.door(world.communityOf(i), 0) !== null) out.push(i);
  return out;
}

/**
 * `size` checks in the proportions of MIX, over random residents and doors, each with
 * the key that covers its door (`keyOfDoor`). The revocation residents are left out.
 */
export function buildMix(world: World, size: number, keyOfDoor: (door: number) => string, reserved: Set<number>, seed = 1): CheckRequest[] {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const active = world.shape.cards;
  const allow = (i: number) => `{"decision":"allow","reason":"ok","cardId":"${world.cardId(i)}"}`;
  const denyCard = (reason: string, i: number) => `{"decision":"deny","reason":"${reason}","cardId":"${world.cardId(i)}"}`;
  const request = (kind: MixKind, door: number, uid: string, expected: string): CheckRequest => ({
    method: 'POST',
    path: '/v1/access/check',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keyOfDoor(door)}` },
    body: `{"doorId":"${world.doorId(door)}","uid":"${uid}"}`,
    expected,
    kind,
  });
  /** A random active resident that satisfies `ok`. */
  const resident = (ok: (i: number) => boolean): number => {
    for (;;) {
      const i = pick(active);
      if (!reserved.has(i) && ok(i)) return i;
    }
  };
  const grantStep = 20;

  const make: Record<MixKind, () => CheckRequest> = {
    gate: () => {
      const i = resident((i) => world.door(world.communityOf(i), 0) !== null);
      return request('gate', world.door(world.communityOf(i), 0)!, world.uid(i), allow(i));
    },
    building: () => {
      const i = resident((i) => world.door(world.communityOf(i), world.buildingOf(i)) !== null);
      return request('building', world.door(world.communityOf(i), world.buildingOf(i))!, world.uid(i), allow(i));
    },
    grant_always: () => grantCheck('grant_always', 'always'),
    grant_in_hours: () => grantCheck('grant_in_hours', 'in_hours'),
    grant_outside_hours: () => grantCheck('grant_outside_hours', 'outside_hours'),
    no_access: () => {
      // The next building's entrance, for a resident without a grant there.
      const i = resident((i) => i % grantStep !== 0 && world.door(world.communityOf(i), (world.buildingOf(i) % BUILDINGS) + 1) !== null);
      return request('no_access', world.door(world.communityOf(i), (world.buildingOf(i) % BUILDINGS) + 1)!, world.uid(i), denyCard('no_access', i));
    },
    unknown_card: () => {
      // Seeded UIDs all start with 04.
      const uid = `05${Array.from({ length: 12 }, () => '0123456789ABCDEF'[pick(16)]).join('')}`;
      return request('unknown_card', pick(world.shape.doors), uid, '{"decision":"deny","reason":"unknown_card"}');
    },
    locked_card: () => {
      const i = active + pick(world.shape.lockedCards);
      const door = world.door(world.communityOf(i), 0) ?? 0;
      return request('locked_card', door, world.uid(i), denyCard('card_not_active', i));
    },
  };
  function grantCheck(kind: MixKind, grant: 'always' | 'in_hours' | 'outside_hours'): CheckRequest {
    for (;;) {
      const i = Math.floor(pick(Math.ceil(active / grantStep))) * grantStep;
      const g = world.grantOf(i);
      if (!g || g.kind !== grant || reserved.has(i)) continue;
      return request(kind, g.door, world.uid(i), grant === 'outside_hours' ? denyCard('outside_hours', i) : allow(i));
    }
  }

  const kinds = (Object.keys(MIX) as MixKind[]).filter((k) => MIX[k] > 0 && (k !== 'locked_card' || world.shape.lockedCards > 0));
  const total = kinds.reduce((s, k) => s + MIX[k], 0);
  const out: CheckRequest[] = [];
  for (const k of kinds) {
    const n = Math.round((size * MIX[k]) / total);
    for (let m = 0; m < n; m++) out.push(make[k]());
  }
  // Shuffled, so every slice of the pool has the same mix.
  for (let a = out.length - 1; a > 0; a--) {
    const b = pick(a + 1);
    [out[a], out[b]] = [out[b], out[a]];
  }
  return out;
}

/** A small seeded PRNG, so a run's mix can be made again. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
