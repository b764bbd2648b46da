import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import { pgArray } from '../db/pg-array';
import type { AuditEventRow, StoredAuditEventRow } from './audit-event.view';

export interface AuditFilter {
  keyId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  method?: string;
  route?: string;
  outcome?: string;
  resourceId?: string;
}

const COLUMNS = [
  'id',
  'at',
  'api_key_id',
  'key_name',
  'key_role',
  'key_prefix',
  'remote_address',
  'forwarded_for',
  'method',
  'route',
  'params',
  'resource_ids',
  'status_code',
  'outcome',
  'summary',
  'request_id',
];

/** audit_events is append-only (its triggers refuse UPDATE, DELETE and TRUNCATE): insert and read, nothing else. */
@Injectable()
export class AuditRepository {
  async insert(db: Knex, row: AuditEventRow): Promise<void> {
    await db('audit_events').insert({
      ...row,
      params: JSON.stringify(row.params),
      summary: JSON.stringify(row.summary),
      resource_ids: db.raw('?::text[]', [pgArray(row.resource_ids)]),
    });
  }

  /** Newest first, by id, below `beforeId`. */
  async list(db: Knex, filter: AuditFilter, beforeId: string | undefined, limit: number): Promise<StoredAuditEventRow[]> {
    const rows = await db('audit_events')
      .modify((q) => {
        if (filter.keyId) q.where('api_key_id', filter.keyId);
        if (filter.from) q.where('at', '>=', filter.from);
        if (filter.to) q.where('at', '<', filter.to);
        if (filter.route) q.where('route', filter.route);
        if (filter.method) q.where('method', filter.method);
        if (filter.outcome) q.where('outcome', filter.outcome);
        if (filter.resourceId) q.whereRaw('resource_ids @> ?::text[]', [pgArray([filter.resourceId])]);
        if (beforeId !== undefined) q.where('id', '<', beforeId);
      })
      .orderBy('id', 'desc')
      .limit(limit)
      // host(): the address without the /32 or /128 an inet may print.
      .select(COLUMNS.map((c) => (c === 'remote_address' ? db.raw('host(remote_address) AS remote_address') : c)));
    return rows as StoredAuditEventRow[];
  }
}
