import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { KeyRateLimiter, RateLimited } from '../auth/rate-limit';
import type { Role } from '../auth/roles';
import { ValidationFailed } from '../common/domain-error';
import { toErrorBody } from '../common/error.filter';
import { API_HEADERS } from '../common/security-headers';
import { Metrics } from '../ops/metrics';

/** The same limit Fastify applies to every other route. */
export const BODY_LIMIT = 64 * 1024;

export interface LaneRequest {
  principal: Principal;
  /** The parsed JSON body; undefined when none was sent. */
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface LaneAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface LaneRoute {
  method: 'POST';
  path: string;
  roles: readonly Role[];
  handle(req: LaneRequest): Promise<LaneAnswer>;
  /** The route's OpenAPI path item, since Nest's scanner does not see lane routes. */
  openapi: Record<string, unknown>;
}

class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The hottest terminal calls (a door check, a payment) answered straight from
 * node:http, in front of Fastify and Nest. Their real work is a map lookup or a place
 * in a shared database batch; the framework's per-request work (routing, hooks,
 * middleware, guard, pipes, interceptors, request log) would cost several times more.
 * A lane route keeps the rules of every other route: the same key check and roles,
 * body limit, JSON-only bodies, error bodies and duration metric. Every other request
 * goes to Fastify untouched.
 */
@Injectable()
export class FastLane {
  private readonly routes = new Map<string, LaneRoute>();

  constructor(
    private readonly auth: Authenticator,
    private readonly metrics: Metrics,
    private readonly limiter: KeyRateLimiter,
  ) {}

  register(route: LaneRoute): void {
    this.routes.set(`${route.method} ${route.path}`, route);
  }

  get all(): LaneRoute[] {
    return [...this.routes.values()];
  }

  /** The lane route for a request, if it has one. */
  routeFor(req: IncomingMessage): LaneRoute | undefined {
    if (this.routes.size === 0 || req.url === undefined) return undefined;
    const query = req.url.indexOf('?');
    return this.routes.get(`${req.method} ${query < 0 ? req.url : req.url.slice(0, query)}`);
  }

  handle(route: LaneRoute, req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    this.answer(route, req)
      .catch((err: unknown): LaneAnswer => {
        const body = toErrorBody(err);
        const headers = err instanceof RateLimited ? { 'retry-after': String(err.retryAfterSeconds) } : undefined;
        return { status: body.statusCode, body, headers };
      })
      .then((answer) => {
        send(res, answer);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.metrics.httpDuration.observe({ method: route.method, route: route.path, status: String(answer.status) }, seconds);
      });
  }

  private async answer(route: LaneRoute, req: IncomingMessage): Promise<LaneAnswer> {
    const body = await readJsonBody(req);
    const principal = await this.auth.authenticate(req.headers.authorization);
    this.auth.authorize(principal, route.roles);
    this.limiter.check(principal);
    return route.handle({ principal, body, headers: req.headers });
  }
}

/** As Fastify does: no body is undefined, a body must be JSON, and JSON must parse. */
function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      req.resume();
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > BODY_LIMIT) fail(new HttpStatusError(413, 'request body is larger than 64 KiB'));
      else chunks.push(chunk);
    });
    // The client's doing (a connection cut mid-body, broken chunked framing): bad input, not a 500.
    req.on('error', (err: NodeJS.ErrnoException) => !failed && fail(new HttpStatusError(400, `body: could not be read (${err.code ?? 'aborted'})`)));
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(parseBody(req.headers['content-type'], Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseBody(type: string | undefined, text: string): unknown {
  if (type === undefined && text.length === 0) return undefined;
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) throw new HttpStatusError(415, `unsupported content type: send application/json`);
  if (text.length === 0) throw new ValidationFailed('body: empty, but content-type is application/json');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationFailed('body: not valid JSON');
  }
  // A "__proto__" member, refused as Fastify refuses it on every other route: the validation
  // pipe would silently drop it, and an unknown field must be a 400.
  if (SUSPECT_PROTO.test(text)) {
    const found = new Error('__proto__');
    try {
      JSON.parse(text, (key, value: unknown) => {
        if (key === '__proto__') throw found;
        return value;
      });
    } catch (err) {
      throw new ValidationFailed(err === found ? 'body: property __proto__ should not exist' : 'body: not readable JSON');
    }
  }
  return body;
}

/** "__proto__" as a member name, escapes included (the pattern of Fastify's secure-json-parse). */
const SUSPECT_PROTO = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;

function send(res: ServerResponse, answer: LaneAnswer): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, { ...API_HEADERS, ...answer.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
