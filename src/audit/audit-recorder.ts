import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { Counter } from 'prom-client';
import { keyPrefix } from '../auth/api-key-secret';
import { Authenticator } from '../auth/authenticator';
import type { AuthenticatedRequest, Principal } from '../auth/principal';
import { InjectKnex } from '../db/database.module';
import { Metrics } from '../ops/metrics';
import type { AuditEventRow } from './audit-event.view';
import { AuditRepository } from './audit.repository';
import { buildRouteTable, type RouteAccess } from './route-table';
import { GENERATED_KEY, isStaffActionRoute, isWrite, keptParams, plainAddress, resourceIds, routeKey, shouldRecord, summarize } from './staff-action';

/** As the authenticator reads it (src/auth/authenticator.ts). */
const BEARER = /^Bearer ([\x21-\x7e]{1,255})$/i;
/** Answers larger than this are not parsed for an id or an error code. */
const MAX_PARSED = 64 * 1024;

/**
 * Writes the audit trail: one Fastify `onSend` hook for every route Nest serves, which
 * decides by the policy in staff-action.ts and inserts one row before the answer leaves.
 *
 * Why a Fastify hook and not a Nest interceptor: an interceptor runs after the guard,
 * so it never sees the refusals that matter most (401, 403), nor bodies refused by the
 * parser (400, 413, 415); `onSend` sees every answer of every matched route, with its
 * final status and error body.
 *
 * Why awaited: the answer is held until the row is committed, so whatever a caller has
 * been told is already on record, and a crash cannot lose recorded actions the way a
 * buffer written behind the answer would. The cost is one single-row INSERT on staff
 * calls only (desk speed; the terminals' hot paths are not staff actions and skip it
 * after a map lookup).
 *
 * If the row cannot be written (the database went away between the action's commit and
 * this insert, say): an error log line and the `audit_write_failures_total` metric, and
 * - a read of personal data is answered 503, so nothing is disclosed that is not on record;
 * - a change made under an Idempotency-Key is answered 503 as well: the caller retries with
 *   the same key, gets the stored answer, and that replay is recorded (the crash campaign
 *   checks that every acknowledged top-up is in the trail);
 * - a change without one is answered anyway (it happened, and a retry could repeat it).
 *
 * The address is the socket's (`req.socket.remoteAddress`), never X-Forwarded-For,
 * which anyone can send: behind a reverse proxy it is the proxy's address, and the
 * header is kept beside it as the client's unverified claim.
 */
@Injectable()
export class AuditRecorder implements OnModuleInit {
  private readonly logger = new Logger('Audit');
  private table = new Map<string, RouteAccess>();
  private readonly failures: Counter;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly auth: Authenticator,
    private readonly repo: AuditRepository,
    @InjectKnex() private readonly knex: Knex,
    metrics: Metrics,
  ) {
    this.failures = new Counter({ name: 'audit_write_failures_total', help: 'Staff actions whose audit event could not be written', registers: [metrics.registry] });
  }

  /** "METHOD /route/:pattern" → who may call it, for every route Nest serves. */
  get routes(): ReadonlyMap<string, RouteAccess> {
    return this.table;
  }

  /** Runs once routes are registered and before Fastify is ready: hooks apply to every route at ready. */
  onModuleInit(): void {
    this.table = buildRouteTable(this.discovery, this.scanner, this.reflector);
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (typeof fastify?.addHook !== 'function') return; // an application context without HTTP
    fastify.addHook('onSend', (req, reply, payload) => this.onSend(req, reply, payload));
  }

  private async onSend(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const route = req.routeOptions.url;
    // Not a route (Fastify's 404), or nothing a staff key could do there that is recorded.
    if (route === undefined || !isStaffActionRoute(req.method, route)) return payload;
    try {
      const status = reply.statusCode;
      const access = this.table.get(routeKey(req.method, route));
      const token = BEARER.exec(typeof req.headers.authorization === 'string' ? req.headers.authorization : '')?.[1];
      const principal = (req as FastifyRequest & AuthenticatedRequest).principal ?? (await this.identify(token, status));
      if (!shouldRecord({ method: req.method, route, routeRoles: access && !access.isPublic ? access.roles : undefined, principal, status })) return payload;
      await this.repo.insert(this.knex, storable(this.row(req, reply, route, status, payload, principal, token)));
    } catch (err) {
      this.failures.inc();
      this.logger.error({ err: { type: (err as Error)?.name, message: (err as Error)?.message, code: (err as { code?: unknown })?.code }, method: req.method, route }, 'audit event not written');
      // A refusal shows nothing, so only a read that would show personal data is withheld.
      if (reply.statusCode < 400 && !isWrite(req.method)) return unavailable(reply, 'the read could not be recorded in the audit log; try again');
      // A change made under an Idempotency-Key is withheld too: its retry replays the stored
      // answer and is recorded then, so nothing a caller was told about is off the record.
      if (reply.statusCode < 400 && req.headers['idempotency-key'] !== undefined) {
        return unavailable(reply, 'the change was made but could not be recorded in the audit log; retry with the same Idempotency-Key for its answer');
      }
    }
    return payload;
  }

  /**
   * Who called, when the guard did not say: it refused with 403 (it knew the key but did
   * not keep it), or the request never reached it (a body refused by the parser). A 401
   * means the key is not known: no second look-up.
   */
  private async identify(token: string | undefined, status: number): Promise<Principal | undefined> {
    if (!token || status === 401) return undefined;
    try {
      return await this.auth.authenticate(`Bearer ${token}`);
    } catch {
      return undefined;
    }
  }

  private row(req: FastifyRequest, reply: FastifyReply, route: string, status: number, payload: unknown, principal: Principal | undefined, token: string | undefined): AuditEventRow {
    const succeeded = status < 400;
    const answer = parsedAnswer(payload, status, req.method);
    const params = keptParams(req.params);
    const forwarded = req.headers['x-forwarded-for'];
    const rawId = (req.raw as { id?: unknown }).id ?? req.id;
    return {
      api_key_id: principal?.keyId ?? null,
      key_name: principal?.name ?? null,
      key_role: principal?.role ?? null,
      // A known key's prefix is what api_keys shows for it; of an unknown token, only if it has the shape of a key.
      key_prefix: token && (principal || GENERATED_KEY.test(token)) ? keyPrefix(token) : null,
      remote_address: plainAddress(req.raw.socket?.remoteAddress),
      forwarded_for: typeof forwarded === 'string' ? forwarded.slice(0, 200) : Array.isArray(forwarded) ? forwarded.join(', ').slice(0, 200) : null,
      method: req.method,
      route,
      params,
      resource_ids: resourceIds(params, req.body, succeeded, answer.id),
      status_code: status,
      outcome: succeeded ? 'ok' : (answer.code ?? `http_${status}`),
      summary: { ...summarize(req.body, req.query, succeeded), ...(reply.getHeader('idempotent-replayed') === 'true' ? { replayed: true } : {}) },
      request_id: rawId === undefined || rawId === null ? null : String(rawId).slice(0, 100),
    };
  }
}

function unavailable(reply: FastifyReply, message: string): string {
  reply.code(503).removeHeader('content-length').header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify({ statusCode: 503, code: 'service_unavailable', message });
}

/**
 * What a caller sent may hold bytes PostgreSQL's text and jsonb refuse (NUL, a lone
 * UTF-16 surrogate from a %ED%A0%80 in a path); a probe must not keep itself out of the
 * trail by sending them, so they are replaced, not allowed to fail the insert.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}

/** The error code of a refusal, or the id of what a change created or answered with; nothing else is read from an answer. */
function parsedAnswer(payload: unknown, status: number, method: string): { code?: string; id?: string } {
  if (status < 400 && !isWrite(method)) return {};
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined || text.length > MAX_PARSED || !text.startsWith('{')) return {};
  try {
    const body = JSON.parse(text) as { code?: unknown; id?: unknown };
    if (status >= 400) return typeof body.code === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(body.code) ? { code: body.code } : {};
    return typeof body.id === 'string' ? { id: body.id } : {};
  } catch {
    return {};
  }
}
