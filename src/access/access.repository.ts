import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { CardEntry, DoorEntry, GrantEntry, ResidentEntry } from './access-index';
import type { AccessEventRow } from './access-log';

export interface DoorRow {
  id: string;
  name: string;
  community: string;
  building: string | null;
  created_at: Date;
  list_version: string;
  list_floor: string;
}

export interface GrantRow {
  id: string;
  door_id: string;
  resident_id: string;
  valid_from: string | null;
  valid_until: string | null;
  hours_from: number | null;
  hours_to: number | null;
  created_at: Date;
  revoked_at: Date | null;
}

const DOOR_COLUMNS = ['id', 'name', 'community', 'building', 'created_at', 'list_version', 'list_floor'];
const GRANT_COLUMNS = ['id', 'door_id', 'resident_id', 'valid_from', 'valid_until', 'hours_from', 'hours_to', 'created_at', 'revoked_at'];

export const toDoorEntry = (r: DoorRow): DoorEntry => ({ id: r.id, community: r.community, building: r.building });

export const toGrantEntry = (r: GrantRow): GrantEntry => ({
  id: r.id,
  doorId: r.door_id,
  residentId: r.resident_id,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  hours: r.hours_from === null || r.hours_to === null ? null : { from: r.hours_from, to: r.hours_to },
  revoked: r.revoked_at !== null,
});

const toCardEntry = (r: { id: string; uid: string; resident_id: string; status: CardEntry['status'] }): CardEntry => ({
  id: r.id,
  uid: r.uid,
  residentId: r.resident_id,
  status: r.status,
});

/** Reads for the decision index, and the door and grant records themselves. */
@Injectable()
export class AccessRepository {
  async insertDoor(db: Knex, door: { id: string; name: string; community: string; building: string | null }): Promise<DoorRow> {
    const [row] = await db('doors').insert(door).returning(DOOR_COLUMNS);
    return row as DoorRow;
  }

  async findDoor(db: Knex, id: string, lock?: 'update'): Promise<DoorRow | undefined> {
    const query = db('doors').where({ id }).first<DoorRow | undefined>(DOOR_COLUMNS);
    return lock === 'update' ? query.forUpdate() : query;
  }

  async listDoors(db: Knex, limit: number, after?: string): Promise<DoorRow[]> {
    const query = db('doors').orderBy('id').limit(limit).select<DoorRow[]>(DOOR_COLUMNS);
    return after === undefined ? query : query.where('id', '>', after);
  }

  async insertGrant(db: Knex, grant: Omit<GrantRow, 'created_at' | 'revoked_at'> & { api_key_id: string }): Promise<GrantRow> {
    const [row] = await db('door_grants').insert(grant).returning(GRANT_COLUMNS);
    return row as GrantRow;
  }

  async findGrant(db: Knex, doorId: string, id: string, lock?: 'update'): Promise<GrantRow | undefined> {
    const query = db('door_grants').where({ id, door_id: doorId }).first<GrantRow | undefined>(GRANT_COLUMNS);
    return lock === 'update' ? query.forUpdate() : query;
  }

  async revokeGrant(trx: Knex.Transaction, id: string, by: string): Promise<void> {
    await trx('door_grants').where({ id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now(), revoked_by: by });
  }

  async listGrants(db: Knex, doorId: string, includeRevoked: boolean): Promise<GrantRow[]> {
    const query = db('door_grants').where({ door_id: doorId }).orderBy('created_at').select<GrantRow[]>(GRANT_COLUMNS);
    return includeRevoked ? query : query.whereNull('revoked_at');
  }

  async residentExists(db: Knex, id: string): Promise<boolean> {
    return (await db('residents').where({ id }).first('id')) !== undefined;
  }

  /** A door's access events, newest first, optionally of one card and within [from, to). */
  async events(
    db: Knex,
    doorId: string,
    filter: { cardId?: string; from?: string; to?: string },
    beforeId: string | undefined,
    limit: number,
  ): Promise<(AccessEventRow & { id: string })[]> {
    return db('access_events')
      .where({ door_id: doorId })
      .modify((q) => {
        if (filter.cardId) q.where('card_id', filter.cardId);
        if (filter.from) q.where('at', '>=', new Date(filter.from));
        if (filter.to) q.where('at', '<', new Date(filter.to));
        if (beforeId !== undefined) q.where('id', '<', beforeId);
      })
      .orderBy('id', 'desc')
      .limit(limit)
      .select('id', 'door_id', 'uid', 'card_id', 'decision', 'reason', 'rule', 'api_key_id', 'at');
  }

  // --- the index's sources -------------------------------------------------

  async doorsByIds(db: Knex, ids: string[]): Promise<DoorEntry[]> {
    return (await db('doors').whereIn('id', ids).select<DoorRow[]>(DOOR_COLUMNS)).map(toDoorEntry);
  }

  async residentsByIds(db: Knex, ids: string[]): Promise<ResidentEntry[]> {
    return db('residents').whereIn('id', ids).select<ResidentEntry[]>('id', 'community', 'building');
  }

  async cardsByIds(db: Knex, ids: string[]): Promise<CardEntry[]> {
    return (await db('cards').whereIn('id', ids).select('id', 'uid', 'resident_id', 'status')).map(toCardEntry);
  }

  /** Every card that ever held the UID, oldest first, so the current holder is applied last. */
  async cardsByUid(db: Knex, uid: string): Promise<CardEntry[]> {
    return (await db('cards').where({ uid }).orderBy('issued_at').select('id', 'uid', 'resident_id', 'status')).map(toCardEntry);
  }

  async grantsByIds(db: Knex, ids: string[]): Promise<GrantEntry[]> {
    return (await db('door_grants').whereIn('id', ids).select<GrantRow[]>(GRANT_COLUMNS)).map(toGrantEntry);
  }

  async liveGrantsOf(db: Knex, doorId: string, residentIds: string[]): Promise<GrantEntry[]> {
    const rows = await db('door_grants').where({ door_id: doorId }).whereIn('resident_id', residentIds).whereNull('revoked_at').select<GrantRow[]>(GRANT_COLUMNS);
    return rows.map(toGrantEntry);
  }

  /** The whole index, streamed in pages so 100,000 cards never sit in one result set. */
  async *everything(db: Knex): AsyncGenerator<
    { kind: 'door'; row: DoorEntry } | { kind: 'resident'; row: ResidentEntry } | { kind: 'card'; row: CardEntry } | { kind: 'grant'; row: GrantEntry }
  > {
    for (const row of await db('doors').select<DoorRow[]>(DOOR_COLUMNS)) yield { kind: 'door', row: toDoorEntry(row) };
    for await (const page of pages(db, 'residents', ['id', 'community', 'building'])) {
      for (const row of page as unknown as ResidentEntry[]) yield { kind: 'resident', row };
    }
    // Oldest first: when a UID was held by several cards, the latest one wins.
    for await (const page of pages(db, 'cards', ['id', 'uid', 'resident_id', 'status'], 'issued_at')) {
      for (const row of page) yield { kind: 'card', row: toCardEntry(row as Parameters<typeof toCardEntry>[0]) };
    }
    const grants = await db('door_grants').whereNull('revoked_at').select<GrantRow[]>(GRANT_COLUMNS);
    for (const row of grants) yield { kind: 'grant', row: toGrantEntry(row) };
  }
}

const PAGE = 20000;

async function* pages(db: Knex, table: string, columns: string[], orderBy?: string): AsyncGenerator<Record<string, unknown>[]> {
  const order = orderBy ? [orderBy, 'id'] : ['id'];
  for (let offset = 0; ; offset += PAGE) {
    const rows = await db(table).orderBy(order).limit(PAGE).offset(offset).select(columns);
    yield rows;
    if (rows.length < PAGE) return;
  }
}
