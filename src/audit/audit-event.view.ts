import type { Role } from '../auth/roles';
import type { Summary } from './staff-action';

/** A row of audit_events as written; `id` and `at` come from the database. */
export interface AuditEventRow {
  api_key_id: string | null;
  key_name: string | null;
  key_role: Role | null;
  key_prefix: string | null;
  remote_address: string | null;
  forwarded_for: string | null;
  method: string;
  route: string;
  params: Record<string, string>;
  resource_ids: string[];
  status_code: number;
  outcome: string;
  summary: Summary;
  request_id: string | null;
}

export type StoredAuditEventRow = AuditEventRow & { id: string | number; at: Date };

/** One staff action as the auditor reads it. */
export interface AuditEventView {
  id: string;
  at: string;
  /** "POST /v1/cards/:id/lock": the method and the route pattern, the `?action=` filter's value. */
  action: string;
  method: string;
  route: string;
  params: Record<string, string>;
  resourceIds: string[];
  statusCode: number;
  /** "ok", or the error code of the answer ("card_not_active", "forbidden", "unauthorized", ...). */
  outcome: string;
  key: { id: string | null; name: string | null; role: Role | null; prefix: string | null };
  remoteAddress: string | null;
  /** X-Forwarded-For as sent: the client's claim, not verified. */
  forwardedFor: string | null;
  summary: Summary;
  requestId: string | null;
}

export function auditEventView(r: StoredAuditEventRow): AuditEventView {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    action: `${r.method} ${r.route}`,
    method: r.method,
    route: r.route,
    params: r.params,
    resourceIds: r.resource_ids,
    statusCode: r.status_code,
    outcome: r.outcome,
    key: { id: r.api_key_id, name: r.key_name, role: r.key_role, prefix: r.key_prefix },
    remoteAddress: r.remote_address,
    forwardedFor: r.forwarded_for,
    summary: r.summary,
    requestId: r.request_id,
  };
}
