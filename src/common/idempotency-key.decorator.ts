import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { canonicalJson, sha256Hex } from '../../ledger/canonical';
import type { AuthenticatedRequest, Principal } from '../auth/principal';
import { DomainError, ValidationFailed } from './domain-error';
import type { IdempotentRequest } from './idempotency';
import { MAX_NESTING, nestedDeeperThan } from './validation';

const KEY = /^[\x20-\x7e]{1,255}$/;

type Request = AuthenticatedRequest & { headers: Record<string, unknown>; method: string; routeOptions?: { url?: string }; url: string; params?: unknown; body?: unknown };

/**
 * `@IdempotencyKey()`: the request's Idempotency-Key header with the fingerprint of
 * what it asks for. Missing or malformed: 400 idempotency_key_required.
 */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotentRequest => {
  const req = ctx.switchToHttp().getRequest<Request>();
  if (!req.principal) throw new Error('IdempotencyKey used on a public route');
  return idempotentRequest(req.principal, req.headers['idempotency-key'], {
    method: req.method,
    route: req.routeOptions?.url ?? req.url,
    params: req.params ?? {},
    body: req.body ?? null,
  });
});

/** The key and the fingerprint of what the request asks for: method, route pattern, path parameters and body. */
export function idempotentRequest(
  principal: Principal,
  header: unknown,
  what: { method: string; route: string; params: unknown; body: unknown },
): IdempotentRequest {
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw new DomainError('idempotency_key_required', 'an Idempotency-Key header of 1-255 printable ASCII characters is required');
  }
  // The body is not validated yet (parameters are resolved side by side): the recursive
  // canonicalJson must not meet a body nested thousands deep.
  if (nestedDeeperThan(what.body, MAX_NESTING)) throw new ValidationFailed(`body: nested more than ${MAX_NESTING} levels deep`);
  return { apiKeyId: principal.keyId, key: header, fingerprint: sha256Hex(canonicalJson(what)) };
}
