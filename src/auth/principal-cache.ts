import { Injectable } from '@nestjs/common';
import type { Principal } from './principal';

/** Long enough to spare the database a look-up on every payment, short enough for other instances. */
const TTL_MS = 1000;

/**
 * Recently authenticated keys, by hash. A revocation on this instance removes the key
 * here before the revoking call answers; other instances sharing the database hear
 * it through the access change feed (a NOTIFY, src/access/access-feed.ts) within
 * milliseconds, and TTL_MS bounds it even if that connection is down.
 */
@Injectable()
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; at: number }>();

  get(keyHash: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    if (now - entry.at < TTL_MS) return entry.principal;
    this.entries.delete(keyHash);
    return undefined;
  }

  set(keyHash: string, principal: Principal, now = Date.now()): void {
    this.entries.set(keyHash, { principal, at: now });
  }

  forget(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.principal.keyId === keyId) this.entries.delete(hash);
  }
}
