import { birthDateOf, checkCharacter } from '../../src/residents/id-number';
import type { RetryingClient } from './client';

export const COMMUNITY = '崩溃测试新村';
const OTHER_COMMUNITY = '隔壁新村';
const BUILDINGS = 3;

export interface Merchant {
  id: string;
  /** The terminal's API key and its id (idempotency records are kept per key id). */
  key: string;
  keyId: string;
}

export interface Resident {
  id: string;
  cardId: string;
  uid: string;
  building: string;
  /** Only for the lock/unlock door check after each round: never pays, never topped up. */
  doorOnly: boolean;
}

export interface Door {
  id: string;
  community: string;
  building: string | null;
}

export interface DoorKey {
  key: string;
  doors: Door[];
}

export interface Fixture {
  merchants: Merchant[];
  residents: Resident[];
  payers: Resident[];
  doorOnly: Resident[];
  doors: Door[];
  doorKeys: DoorKey[];
  desk: { key: string; keyId: string };
  auditor: string;
  admin: { key: string; keyId: string };
  programId: string;
  /** What the fixture moved, as acknowledged requests, for the books. */
  topUps: { id: string; key: string; residentId: string; cents: number }[];
  funding: { id: string; key: string; cents: number };
  /** The allowance each resident receives per disbursement. */
  allowanceCents: number;
}

export interface FixtureShape {
  merchants: number;
  payers: number;
  doorOnly: number;
  initialTopUpCents: number;
  allowanceCents: number;
  fundingCents: number;
}

/**
 * The world, built through the HTTP API as the desk and an admin would: canteens with
 * a terminal key each, residents of one community with an active, topped-up card,
 * the community's gate and building entrances (and a gate of another community where
 * nobody may enter) with two controller keys, and an allowance program funded for
 * every round's disbursement.
 */
export async function buildFixture(http: RetryingClient, adminKey: string, shape: FixtureShape, run: string): Promise<Fixture> {
  const ok = async <T = any>(method: 'GET' | 'POST', path: string, key: string, body?: unknown, idem?: string, status = [200, 201]): Promise<T> => {
    const a = await http.send(method, path, key, body, idem);
    if (!status.includes(a.status)) throw new Error(`fixture: ${method} ${path} answered ${a.status} ${JSON.stringify(a.body)}`);
    return a.body as T;
  };
  const newKey = (body: object) => ok<{ id: string; key: string }>('POST', '/v1/api-keys', adminKey, body);

  const adminSelf = await newKey({ role: 'admin', name: 'crash campaign admin' });
  const admin = { key: adminSelf.key, keyId: adminSelf.id };
  const deskKey = await newKey({ role: 'operator', name: 'crash desk' });
  const desk = { key: deskKey.key, keyId: deskKey.id };
  const auditor = (await newKey({ role: 'auditor', name: 'crash auditor' })).key;

  const merchants: Merchant[] = [];
  for (let i = 0; i < shape.merchants; i++) {
    const m = await ok<{ id: string }>('POST', '/v1/merchants', admin.key, { name: `崩溃测试食堂 ${i + 1}`, category: 'canteen' });
    const k = await newKey({ role: 'merchant', name: `crash terminal ${i + 1}`, merchantId: m.id });
    merchants.push({ id: m.id, key: k.key, keyId: k.id });
  }

  const residents: Resident[] = [];
  const topUps: Fixture['topUps'] = [];
  const total = shape.payers + shape.doorOnly;
  for (let i = 0; i < total; i++) {
    const idNumber = residentIdNumber(i);
    const building = `${1 + (i % BUILDINGS)}号楼`;
    const r = await ok<{ id: string }>('POST', '/v1/residents', desk.key, {
      name: `住户${i}`,
      idNumber,
      birthDate: birthDateOf(idNumber),
      address: { community: COMMUNITY, building },
    });
    const c = await ok<{ id: string; uid: string }>('POST', '/v1/cards', desk.key, { residentId: r.id, uid: cardUid(i) });
    const doorOnly = i >= shape.payers;
    residents.push({ id: r.id, cardId: c.id, uid: c.uid, building, doorOnly });
    if (!doorOnly) {
      const key = `crash-${run}-fixture-top-up-${i}`;
      const t = await ok<{ id: string }>('POST', '/v1/top-ups', desk.key, { cardId: c.id, amount: cents(shape.initialTopUpCents), method: 'cash' }, key);
      topUps.push({ id: t.id, key, residentId: r.id, cents: shape.initialTopUpCents });
    }
  }

  const doors: Door[] = [];
  const door = async (community: string, building: string | null) => {
    const d = await ok<{ id: string }>('POST', '/v1/doors', admin.key, { name: building ? `${community} ${building} 单元门` : `${community} 大门`, community, ...(building ? { building } : {}) });
    const made = { id: d.id, community, building };
    doors.push(made);
    return made;
  };
  const gate = await door(COMMUNITY, null);
  const entrances: Door[] = [];
  for (let b = 1; b <= BUILDINGS; b++) entrances.push(await door(COMMUNITY, `${b}号楼`));
  const otherGate = await door(OTHER_COMMUNITY, null);
  const doorKeys: DoorKey[] = [];
  for (const set of [[gate, entrances[0], otherGate], [gate, ...entrances.slice(1)]]) {
    const k = await newKey({ role: 'door', name: `crash controller ${doorKeys.length + 1}`, doorIds: set.map((d) => d.id) });
    doorKeys.push({ key: k.key, doors: set });
  }

  const program = await ok<{ id: string }>('POST', '/v1/subsidy-programs', admin.key, {
    name: '崩溃测试助餐补贴',
    kind: 'allowance',
    merchantCategories: ['canteen'],
    eligibility: {},
    amount: cents(shape.allowanceCents),
    validDays: 30,
  });
  const fundKey = `crash-${run}-funding`;
  const fund = await ok<{ id: string }>('POST', `/v1/subsidy-programs/${program.id}/funding`, admin.key, { amount: cents(shape.fundingCents) }, fundKey);

  return {
    merchants,
    residents,
    payers: residents.filter((r) => !r.doorOnly),
    doorOnly: residents.filter((r) => r.doorOnly),
    doors,
    doorKeys,
    desk,
    auditor,
    admin,
    programId: program.id,
    topUps,
    funding: { id: fund.id, key: fundKey, cents: shape.fundingCents },
    allowanceCents: shape.allowanceCents,
  };
}

/** What a door must answer for a resident's card (no grants exist): the community's gate and one's own building. */
export function expectedDecision(door: Door, resident: Resident | null): 'allow' | 'deny' {
  if (!resident) return 'deny';
  if (door.community !== COMMUNITY) return 'deny';
  return door.building === null || door.building === resident.building ? 'allow' : 'deny';
}

/** Integer cents as the API's money string. */
export function cents(n: number): string {
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
}

/** The API's money string as integer cents. */
export function toCents(money: string): number {
  const m = /^(-?)([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(money);
  if (!m) throw new Error(`not money: ${money}`);
  const value = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] ? -value : value;
}

/** Distinct, valid GB 11643 numbers: Shanghai Pudong, born on consecutive days from 1950 on. */
function residentIdNumber(i: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + i * 86_400_000);
  const first17 = `310115${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(100 + (i % 900))}`;
  return first17 + checkCharacter(first17);
}

/** Distinct 7-byte UIDs. */
function cardUid(i: number): string {
  return `04C4A5${(0x10000000 + i).toString(16).toUpperCase()}`;
}
