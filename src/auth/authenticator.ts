import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import { InjectKnex } from '../db/database.module';
import { hashApiKey } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';
import { Forbidden, Unauthorized } from './auth.errors';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';
import type { Role } from './roles';

/** The scheme is case-insensitive (RFC 9110); the key is 1-255 printable ASCII characters. */
const BEARER = /^Bearer ([\x21-\x7e]{1,255})$/i;

/**
 * Turns an Authorization header into the calling key, or refuses. Keys are looked up
 * by hash and briefly cached (PrincipalCache); a revocation drops them from the cache
 * before it answers. Used by the guard and by the one route served outside Nest.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly keys: ApiKeysRepository,
    @InjectKnex() private readonly knex: Knex,
    private readonly cache: PrincipalCache,
  ) {}

  /** One database look-up per key at a time: a busy terminal's concurrent requests share it. */
  private readonly lookingUp = new Map<string, Promise<Principal | undefined>>();

  async authenticate(authorization: unknown): Promise<Principal> {
    const match = BEARER.exec(typeof authorization === 'string' ? authorization : '');
    if (!match) throw new Unauthorized();
    const keyHash = hashApiKey(match[1]);
    const principal = this.cache.get(keyHash) ?? (await this.sharedLookUp(keyHash));
    if (!principal) throw new Unauthorized('unknown or revoked API key');
    return principal;
  }

  authorize(principal: Principal, roles: readonly Role[]): void {
    if (!roles.includes(principal.role)) throw new Forbidden(`this call needs one of the roles: ${roles.join(', ')}`);
  }

  private sharedLookUp(keyHash: string): Promise<Principal | undefined> {
    let pending = this.lookingUp.get(keyHash);
    if (!pending) {
      pending = this.lookUp(keyHash).finally(() => this.lookingUp.delete(keyHash));
      this.lookingUp.set(keyHash, pending);
    }
    return pending;
  }

  private async lookUp(keyHash: string): Promise<Principal | undefined> {
    const principal = await this.keys.findActiveByHash(this.knex, keyHash);
    if (!principal) return undefined;
    this.cache.set(keyHash, principal);
    return principal;
  }
}
