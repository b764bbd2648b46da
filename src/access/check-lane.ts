import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Authenticator } from '../auth/authenticator';
import { ValidationFailed } from '../common/domain-error';
import { toErrorBody } from '../common/error.filter';
import { Metrics } from '../ops/metrics';
import { CheckAccessHandler } from './commands/check-access.handler';
import { CheckAccessCommand } from './commands/check-access.command';
import { parseCheckBody } from './dto/check-access.body';

export const CHECK_PATH = '/v1/access/check';
const BODY_LIMIT = 64 * 1024;

class PayloadTooLarge extends Error {
  readonly statusCode = 413;
  constructor() {
    super('request body is larger than 64 KiB');
  }
}

class UnsupportedMediaType extends Error {
  readonly statusCode = 415;
  constructor() {
    super('send the body as application/json');
  }
}

/**
 * POST /v1/access/check, answered straight from node:http, in front of Fastify and
 * Nest. A door decision is a map lookup; the framework's per-request work (routing,
 * hooks, middleware, guard, pipes, interceptors, request log) costs several times
 * more than the decision, and doors need thousands a second. The lane applies the
 * same rules as every other route: the same key check, the same validation and error
 * bodies, the same command; every check lands in the access log instead of the
 * request log. Every other request goes to Fastify untouched.
 */
@Injectable()
export class DoorCheckLane {
  constructor(
    private readonly auth: Authenticator,
    private readonly checks: CheckAccessHandler,
    private readonly metrics: Metrics,
  ) {}

  /** True when the request was the lane's to answer. */
  claims(req: IncomingMessage): boolean {
    return req.method === 'POST' && (req.url === CHECK_PATH || req.url?.startsWith(`${CHECK_PATH}?`) === true);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    this.answer(req)
      .then(
        (result) => send(res, 200, result),
        (err: unknown) => {
          const body = toErrorBody(err);
          send(res, body.statusCode, body);
        },
      )
      .finally(() => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.metrics.httpDuration.observe({ method: 'POST', route: CHECK_PATH, status: String(res.statusCode) }, seconds);
      });
  }

  private async answer(req: IncomingMessage) {
    const text = await readBody(req);
    const principal = await this.auth.authenticate(req.headers.authorization);
    this.auth.authorize(principal, ['door']);
    const { doorId, uid } = parseCheckBody(parseJson(text));
    return this.checks.execute(new CheckAccessCommand(doorId, uid, principal));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    req.resume();
    return Promise.reject(new UnsupportedMediaType());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new PayloadTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationFailed('body: not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** The lane's OpenAPI entry, since Nest's scanner does not see it. */
export const CHECK_OPENAPI = {
  post: {
    tags: ['doors'],
    summary: 'Decide whether a card opens a door (door keys, for their own doors)',
    security: [{ bearer: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['doorId', 'uid'],
            additionalProperties: false,
            properties: { doorId: { type: 'string', format: 'uuid' }, uid: { type: 'string', example: '04A1B2C3D4E5F6' } },
          },
        },
      },
    },
    responses: {
      '200': {
        description: 'the decision',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                decision: { type: 'string', enum: ['allow', 'deny'] },
                reason: { type: 'string', enum: ['ok', 'unknown_card', 'card_not_active', 'no_access', 'outside_hours'] },
                cardId: { type: 'string', format: 'uuid' },
              },
            },
          },
        },
      },
      '400': { description: 'validation_failed' },
      '401': { description: 'unauthorized' },
      '403': { description: "forbidden: not a door key, or not this key's door" },
      '404': { description: 'door_not_found' },
    },
  },
};
