import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';

/**
 * What the audit trail records, and what of a request it keeps. Pure functions, so the
 * policy can be read (and tested) apart from the hook that applies it (audit-recorder.ts).
 *
 * WHO IS STAFF. Keys held by people: `admin`, `operator` (the desk) and `auditor`.
 * Keys held by machines, `merchant` (a till) and `door` (a controller), are not staff:
 * their calls are the terminals' business, logged elsewhere (payments are the ledger,
 * door checks the access log), and recording them would put an insert on every tap.
 *
 * WHAT IS RECORDED.
 * 1. Every request of a staff key that can change something: any method but GET and
 *    HEAD, whatever its outcome. A refusal (400, 403, 404, 409, ...) is recorded too:
 *    an attempt is worth knowing about. POSTs that only read (`/v1/residents/lookup`,
 *    `/v1/desk/residents/search`, station taps) are recorded as well, which is wanted:
 *    they disclose residents.
 * 2. Every read by a staff key of personal data: the GET routes in PERSONAL_READS
 *    (a resident's record, cards, bills, donations, receipts, money and door movements).
 * 3. Refused attempts at those routes by anybody: a 401 (no key, an unknown or revoked
 *    key), and a 403 of a machine key on a route its role may not call at all (a till
 *    trying to issue a card). A till refused for another merchant's payment is not
 *    recorded: it called one of its own routes.
 * Not recorded: staff GETs of anything else (doors, programs, ledger reports, the audit
 *    log itself, the desk's "who am I"); requests matching no route (404 before
 *    routing); 429s (a rate limit decides nothing about rights, and recording them would
 *    turn a flood into writes); and the two fast-lane routes, `POST /v1/payments` and
 *    `POST /v1/access/check`, answered by node:http in front of Fastify (src/lane/), so
 *    no Fastify hook sees them. They are merchant and door calls, not staff actions.
 *
 * WHAT IS KEPT. Never the Authorization header or a key (only its first characters, as
 * api_keys.key_prefix keeps them), never a body: bodies carry ID numbers, names, phones
 * and addresses. Kept are the route pattern and path parameters, the ids of the
 * resources involved (path ids, `...Id` fields, the id of what was created), the names
 * of the body's fields, and the values of a few fields that are never personal (reason,
 * role, amount, ...), the latter only when the request succeeded (a refused request's
 * values passed no validation and may be anything, a phone number typed into the
 * wrong box included).
 */

export const STAFF_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'operator', 'auditor']);

/** GET routes that disclose a person: who they are, what they hold and spend, where they went. */
export const PERSONAL_READS: ReadonlySet<string> = new Set([
  'GET /v1/residents/:id',
  'GET /v1/residents/:id/cards',
  'GET /v1/residents/:id/bills',
  'GET /v1/residents/:id/donations',
  'GET /v1/cards/:id/balance',
  'GET /v1/cards/:id/transactions',
  'GET /v1/cards/:id/history',
  'GET /v1/donations/:id/receipt',
  'GET /v1/doors/:id/events',
]);

const READ_METHODS = new Set(['GET', 'HEAD']);

export function isWrite(method: string): boolean {
  return !READ_METHODS.has(method);
}

/** A GET route's key for PERSONAL_READS; HEAD is answered by the GET route. */
export function routeKey(method: string, route: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${route}`;
}

/** Whether a request to this route is a staff action when a staff key makes it. */
export function isStaffActionRoute(method: string, route: string): boolean {
  return isWrite(method) || PERSONAL_READS.has(routeKey(method, route));
}

export interface Decision {
  method: string;
  route: string;
  /** The roles the route admits; undefined for a public route or one Nest does not know. */
  routeRoles: readonly Role[] | undefined;
  /** The calling key, when it could be identified. */
  principal: Principal | undefined;
  status: number;
}

export function shouldRecord(d: Decision): boolean {
  if (d.status === 429) return false;
  if (!isStaffActionRoute(d.method, d.route)) return false;
  if (d.principal) {
    if (STAFF_ROLES.has(d.principal.role)) return true;
    // A machine key: only when refused at a route that is not for its role at all.
    return d.status === 403 && d.routeRoles !== undefined && !d.routeRoles.includes(d.principal.role) && d.routeRoles.some((r) => STAFF_ROLES.has(r));
  }
  // No key, or one that is not (or no longer) known: a refused attempt at a staff route.
  return d.routeRoles !== undefined && d.routeRoles.some((r) => STAFF_ROLES.has(r));
}

// --- what of a request is kept ---------------------------------------------------------

/** Body and query fields whose values are never personal; `...Id` and `...Ids` fields are ids. */
const SAFE_FIELDS = new Set(['reason', 'role', 'method', 'kind', 'category', 'payee', 'period', 'amount', 'uid', 'validFrom', 'validUntil', 'dueDate', 'status', 'since']);
const ID_FIELD = /^[a-z][A-Za-z]{0,40}Ids?$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
/** Something that looks like a resource id: a UUID, or a short token such as a station name. */
const ID_VALUE = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,63}$/;
const MAX_FIELDS = 30;
const MAX_IDS = 20;

export interface Summary {
  /** The body's top-level field names (values are not kept, except as below). */
  fields?: string[];
  /** Values of fields that are never personal, on success only. */
  values?: Record<string, unknown>;
  /** The query's parameter names, and values of the safe ones on success. */
  query?: { fields: string[]; values?: Record<string, unknown> };
  /** A body that is not a JSON object (a CSV import): its size only. */
  bodyBytes?: number;
  bodyItems?: number;
  /** The answer was an idempotent replay of an earlier one (Idempotent-Replayed: true): nothing was done again. */
  replayed?: true;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

function fieldName(name: string): string {
  return FIELD_NAME.test(name) ? name : '?';
}

function safeValue(v: unknown): unknown {
  if (typeof v === 'string') return v.length <= 100 ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.length <= MAX_IDS && v.every((x) => typeof x === 'string' && x.length <= 100)) return v;
  return undefined;
}

function fieldsOf(obj: Record<string, unknown>, withValues: boolean): { fields: string[]; values?: Record<string, unknown> } {
  const names = Object.keys(obj);
  const fields = [...new Set(names.slice(0, MAX_FIELDS).map(fieldName))].sort();
  if (names.length > MAX_FIELDS) fields.push(`+${names.length - MAX_FIELDS}`);
  if (!withValues) return { fields };
  const values: Record<string, unknown> = {};
  for (const name of names.slice(0, MAX_FIELDS)) {
    if (!SAFE_FIELDS.has(name) && !ID_FIELD.test(name)) continue;
    const value = safeValue(obj[name]);
    if (value !== undefined) values[name] = value;
  }
  return Object.keys(values).length > 0 ? { fields, values } : { fields };
}

/** A short, non-personal account of a request's body and query. */
export function summarize(body: unknown, query: unknown, succeeded: boolean): Summary {
  const summary: Summary = {};
  if (isPlainObject(body)) Object.assign(summary, fieldsOf(body, succeeded));
  else if (typeof body === 'string') summary.bodyBytes = Buffer.byteLength(body);
  else if (Buffer.isBuffer(body)) summary.bodyBytes = body.length;
  else if (Array.isArray(body)) summary.bodyItems = body.length;
  if (isPlainObject(query) && Object.keys(query).length > 0) summary.query = fieldsOf(query, succeeded);
  return summary;
}

/**
 * The ids a request touched: path parameters, `...Id(s)` fields of a successful body,
 * and the id of what a successful call created or answered with.
 */
export function resourceIds(params: Record<string, string>, body: unknown, succeeded: boolean, answeredId: string | undefined): string[] {
  const ids = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && ID_VALUE.test(v) && ids.size < MAX_IDS) ids.add(v);
  };
  for (const value of Object.values(params)) add(value);
  if (succeeded && isPlainObject(body)) {
    for (const [name, value] of Object.entries(body)) {
      if (!ID_FIELD.test(name)) continue;
      if (Array.isArray(value)) value.forEach(add);
      else add(value);
    }
  }
  add(answeredId);
  return [...ids];
}

/** Path parameters as kept: short values only (an id, a station name). */
export function keptParams(params: unknown): Record<string, string> {
  if (!isPlainObject(params)) return {};
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') kept[fieldName(name)] = value.length <= 100 ? value : `${value.slice(0, 100)}…`;
  }
  return kept;
}

/** Generated keys (`cck_` and 43 base64url characters): their prefix may be kept, as api_keys keeps it. */
export const GENERATED_KEY = /^cck_[A-Za-z0-9_-]{43}$/;

/** The socket's address, IPv4-mapped IPv6 (`::ffff:10.0.0.7`) shown as IPv4. */
export function plainAddress(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
