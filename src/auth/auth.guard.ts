import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Knex } from 'knex';
import { InjectKnex } from '../db/database.module';
import { hashApiKey } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';
import { Forbidden, Unauthorized } from './auth.errors';
import type { AuthenticatedRequest } from './principal';
import { PrincipalCache } from './principal-cache';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles';

/** The scheme is case-insensitive (RFC 9110); the key is 1-255 printable ASCII characters. */
const BEARER = /^Bearer ([\x21-\x7e]{1,255})$/i;

/**
 * Checks every request: public routes pass, every other route needs an unrevoked
 * key whose role is listed on the route. A route that lists no roles is closed, so
 * forgetting the decorator fails safe. Keys are looked up by hash, briefly cached
 * (PrincipalCache), and a revocation drops them from the cache before it answers.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysRepository,
    @InjectKnex() private readonly knex: Knex,
    private readonly cache: PrincipalCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);

    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, unknown> }>();
    const match = BEARER.exec(String(request.headers.authorization ?? ''));
    if (!match) throw new Unauthorized();
    const principal = await this.principalFor(hashApiKey(match[1]));
    if (!principal) throw new Unauthorized('unknown or revoked API key');

    if (!roles || roles.length === 0) {
      this.logger.error(`route ${context.getClass().name}.${context.getHandler().name} has no role list; refusing`);
      throw new Forbidden('this route is not open to any role');
    }
    if (!roles.includes(principal.role)) throw new Forbidden(`this call needs one of the roles: ${roles.join(', ')}`);
    request.principal = principal;
    return true;
  }

  private async principalFor(keyHash: string) {
    const cached = this.cache.get(keyHash);
    if (cached) return cached;
    const principal = await this.keys.findActiveByHash(this.knex, keyHash);
    if (principal) this.cache.set(keyHash, principal);
    return principal;
  }
}
