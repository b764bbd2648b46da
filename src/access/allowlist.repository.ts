import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { EntryChange, Limits, RightRow, StoredEntry } from './allowlist';

export interface ListedEntry {
  uid: string;
  limits: Limits;
  removed: boolean;
}

/** The stored per-door allowlists (as last served) and the rights they are built from. */
@Injectable()
export class AllowlistRepository {
  /**
   * Everyone who may open the door at some time from today on: residents of the
   * community (a gate) or of the building, with an active card, and live grants.
   */
  async rights(db: Knex, door: { id: string; community: string; building: string | null }, today: string): Promise<RightRow[]> {
    const byAddress = db('residents as r')
      .join('cards as c', 'c.resident_id', 'r.id')
      .where('c.status', 'active')
      .where('r.community', door.community)
      .modify((q) => (door.building === null ? q : q.where('r.building', door.building)))
      .select('c.uid', db.raw('NULL::date AS valid_from'), db.raw('NULL::date AS valid_until'), db.raw('NULL::smallint AS hours_from'), db.raw('NULL::smallint AS hours_to'), db.raw('false AS from_grant'));
    const byGrant = db('door_grants as g')
      .join('cards as c', 'c.resident_id', 'g.resident_id')
      .where('c.status', 'active')
      .where('g.door_id', door.id)
      .whereNull('g.revoked_at')
      .where((q) => q.whereNull('g.valid_until').orWhere('g.valid_until', '>=', today))
      .select('c.uid', 'g.valid_from', 'g.valid_until', 'g.hours_from', 'g.hours_to', db.raw('true AS from_grant'));
    return byAddress.unionAll(byGrant) as unknown as Promise<RightRow[]>;
  }

  async stored(db: Knex, doorId: string): Promise<StoredEntry[]> {
    return db('allowlist_entries').where({ door_id: doorId }).select<StoredEntry[]>('uid', 'limits', 'removed');
  }

  async write(trx: Knex.Transaction, doorId: string, version: number, changes: EntryChange[]): Promise<void> {
    const rows = changes.map((c) => ({ door_id: doorId, uid: c.uid, limits: c.limits === null ? null : JSON.stringify(c.limits), removed: c.removed, version, changed_at: trx.fn.now() }));
    for (let i = 0; i < rows.length; i += 1000) {
      await trx('allowlist_entries').insert(rows.slice(i, i + 1000)).onConflict(['door_id', 'uid']).merge(['limits', 'removed', 'version', 'changed_at']);
    }
    await trx('doors').where({ id: doorId }).update({ list_version: version });
  }

  async current(db: Knex, doorId: string): Promise<ListedEntry[]> {
    return db('allowlist_entries').where({ door_id: doorId, removed: false }).orderBy('uid').select<ListedEntry[]>('uid', 'limits', 'removed');
  }

  async changedSince(db: Knex, doorId: string, since: number): Promise<ListedEntry[]> {
    return db('allowlist_entries').where({ door_id: doorId }).where('version', '>', since).orderBy('uid').select<ListedEntry[]>('uid', 'limits', 'removed');
  }

  /** Forgets removals older than the cutoff; a delta from before them becomes a full list. */
  async purgeTombstones(db: Knex, olderThan: Date): Promise<number> {
    const result = await db.raw(
      `WITH purged AS (
         DELETE FROM allowlist_entries WHERE removed AND changed_at < ? RETURNING door_id, version
       ), floors AS (
         UPDATE doors d SET list_floor = GREATEST(d.list_floor, p.version)
         FROM (SELECT door_id, max(version) AS version FROM purged GROUP BY door_id) p
         WHERE d.id = p.door_id
       )
       SELECT count(*)::int AS n FROM purged`,
      [olderThan],
    );
    return (result.rows[0] as { n: number }).n;
  }
}
