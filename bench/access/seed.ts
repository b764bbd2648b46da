import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';

/**
 * The door world, written straight into the tables with set-based SQL
 * (`INSERT ... SELECT generate_series`): communities of one gate and BUILDINGS building
 * entrances each, residents spread over those buildings, each with an active card, a
 * few residents with a locked card, and grants. Every id and UID is a pure function of
 * a row number, so the load generator knows every expected answer without reading the
 * database back.
 *
 * Resident i (0-based) lives in community i % C, building 1 + floor(i / C) % BUILDINGS.
 * Door j is in community floor(j / (BUILDINGS + 1)); slot j % (BUILDINGS + 1) is 0 for
 * the gate, else the building of that number.
 *
 * Triggers stay on: the cards' and doors' access NOTIFYs go out at commit with nobody
 * listening (the service is started afterwards and loads its index from the tables).
 */
export const BUILDINGS = 7;
const SLOTS = BUILDINGS + 1;
/** UIDs: '04' + 6 bytes, (i * odd constant) mod 2^48, so distinct for every i. */
const UID_MULTIPLIER = 2654435761n;
const UID_MODULUS = 2n ** 48n;

export interface WorldShape {
  /** Residents with an active card: i in [0, cards). */
  cards: number;
  /** Residents with a locked card: i in [cards, cards + lockedCards). */
  lockedCards: number;
  doors: number;
}

export type GrantKind = 'always' | 'in_hours' | 'outside_hours';

/** Deterministic ids, as the SQL below computes them (md5 of a tag and a number, read as a uuid). */
export class World {
  readonly communities: number;
  /** Shanghai minute of the day when the grants were written: their hours are set around it. */
  constructor(
    readonly shape: WorldShape,
    readonly seededAtMinute: number,
  ) {
    this.communities = Math.ceil(shape.doors / SLOTS);
  }

  residentId(i: number): string {
    return md5Uuid(`r${i}`);
  }

  cardId(i: number): string {
    return md5Uuid(`c${i}`);
  }

  uid(i: number): string {
    return `04${((BigInt(i) * UID_MULTIPLIER) % UID_MODULUS).toString(16).toUpperCase().padStart(12, '0')}`;
  }

  doorId(j: number): string {
    return md5Uuid(`d${j}`);
  }

  communityOf(i: number): number {
    return i % this.communities;
  }

  buildingOf(i: number): number {
    return 1 + (Math.floor(i / this.communities) % BUILDINGS);
  }

  /** The door of a community's gate (slot 0) or building entrance (slot 1..7); null if that door was not made. */
  door(community: number, slot: number): number | null {
    const j = community * SLOTS + slot;
    return j < this.shape.doors ? j : null;
  }

  /** Every 20th active resident holds one grant: on the next building's entrance in their community. */
  grantOf(i: number): { door: number; kind: GrantKind } | null {
    if (i % 20 !== 0 || i >= this.shape.cards) return null;
    const door = this.door(this.communityOf(i), (this.buildingOf(i) % BUILDINGS) + 1);
    if (door === null) return null;
    const kind: GrantKind[] = ['always', 'in_hours', 'outside_hours'];
    return { door, kind: kind[(i / 20) % 3] };
  }
}

/** md5 of the text as a version-4 UUID (version and variant nibbles set, as the API's UUID checks want). */
export function md5Uuid(text: string): string {
  const h = createHash('md5').update(text, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
}

/** The same in SQL, for an expression giving the text. */
function md5UuidSql(expr: string): string {
  return `overlay(overlay(md5(${expr}) placing '4' from 13) placing '8' from 17)::uuid`;
}

export interface SeedResult {
  world: World;
  rows: { doors: number; residents: number; activeCards: number; lockedCards: number; grants: number };
  seconds: number;
}

/** Shanghai is UTC+8 all year. */
export function shanghaiMinute(now: Date): number {
  const local = new Date(now.getTime() + 8 * 3600_000);
  return local.getUTCHours() * 60 + local.getUTCMinutes();
}

export async function seedAccess(knex: Knex, shape: WorldShape, now = new Date()): Promise<SeedResult> {
  const t0 = performance.now();
  const world = new World(shape, shanghaiMinute(now));
  const C = world.communities;
  const residentsTotal = shape.cards + shape.lockedCards;
  await knex.transaction(async (trx) => {
    await trx.raw(
      `INSERT INTO doors (id, name, community, building)
       SELECT ${md5UuidSql(`'d' || j`)},
              CASE WHEN j % ${SLOTS} = 0 THEN '基准社区' || (j / ${SLOTS} + 1) || ' 大门' ELSE '基准社区' || (j / ${SLOTS} + 1) || ' ' || (j % ${SLOTS}) || '号楼 单元门' END,
              '基准社区' || (j / ${SLOTS} + 1),
              CASE WHEN j % ${SLOTS} = 0 THEN NULL ELSE (j % ${SLOTS}) || '号楼' END
       FROM generate_series(0, ?::int - 1) AS j`,
      [shape.doors],
    );
    await trx.raw(
      `INSERT INTO residents (id, name, id_number_hash, id_number_masked, birth_date, phone, community, building, unit, room, tags)
       SELECT ${md5UuidSql(`'r' || i`)},
              '住户' || i,
              md5('id' || i) || md5('id' || i || 'x'),
              NULL, -- no ID number: the plaintext column takes none any more, and the encrypted one needs the service's key
              DATE '1940-01-01' + (i % 25000),
              NULL,
              '基准社区' || (i % ${C} + 1),
              (1 + (i / ${C}) % ${BUILDINGS}) || '号楼',
              (1 + i % 6)::text,
              (101 + i % 30)::text,
              '{}'::text[]
       FROM generate_series(0, ?::int - 1) AS i`,
      [residentsTotal],
    );
    await trx.raw(
      `INSERT INTO cards (id, uid, resident_id, status, lock_reason)
       SELECT ${md5UuidSql(`'c' || i`)},
              '04' || upper(lpad(to_hex((i::bigint * ${UID_MULTIPLIER}) % ${UID_MODULUS}), 12, '0')),
              ${md5UuidSql(`'r' || i`)},
              CASE WHEN i < ?::int THEN 'active' ELSE 'locked' END,
              CASE WHEN i < ?::int THEN NULL ELSE 'lost' END
       FROM generate_series(0, ?::int - 1) AS i`,
      [shape.cards, shape.cards, residentsTotal],
    );
    // As issuing a card does: an open cash wallet (account and zero shard-0 balance row) per resident.
    await trx.raw(
      `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
       SELECT 'cash:' || r.id, 'resident', r.id::text, 'cash_wallet', 'CNY', false FROM residents r`,
    );
    await trx.raw(`INSERT INTO ledger_balances (account_id, shard, may_go_negative, balance) SELECT 'cash:' || r.id, 0, false, 0 FROM residents r`);

    // Grants name the key that made them: a seeder key, revoked, that no request can use.
    const seeder = md5Uuid('bench seeder');
    await trx('api_keys').insert({
      id: seeder,
      role: 'admin',
      name: 'bench seeder',
      key_hash: createHash('sha256').update(`unusable ${Math.random()}`).digest('hex'),
      key_prefix: 'seeder',
      revoked_at: now,
    });
    const grants = [];
    for (let i = 0; i < shape.cards; i += 20) {
      const g = world.grantOf(i);
      if (!g) continue;
      const m = world.seededAtMinute;
      // Hours around the seeding minute (open for 3 h either side) or well away from it (4 h to 10 h later).
      const hours = g.kind === 'always' ? null : g.kind === 'in_hours' ? [(m + 1440 - 180) % 1440, (m + 180) % 1440] : [(m + 240) % 1440, (m + 600) % 1440];
      grants.push({
        id: md5Uuid(`g${i}`),
        door_id: world.doorId(g.door),
        resident_id: world.residentId(i),
        hours_from: hours?.[0] ?? null,
        hours_to: hours?.[1] ?? null,
        api_key_id: seeder,
      });
    }
    for (let k = 0; k < grants.length; k += 2000) await trx('door_grants').insert(grants.slice(k, k + 2000));
  });
  for (const table of ['doors', 'residents', 'cards', 'door_grants', 'ledger_accounts', 'ledger_balances']) await knex.raw(`VACUUM ANALYZE ${table}`);
  const count = async (sql: string) => Number(((await knex.raw(sql)) as { rows: { n: string }[] }).rows[0].n);
  return {
    world,
    rows: {
      doors: await count('SELECT count(*) AS n FROM doors'),
      residents: await count('SELECT count(*) AS n FROM residents'),
      activeCards: await count(`SELECT count(*) AS n FROM cards WHERE status = 'active'`),
      lockedCards: await count(`SELECT count(*) AS n FROM cards WHERE status = 'locked'`),
      grants: await count('SELECT count(*) AS n FROM door_grants'),
    },
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}
