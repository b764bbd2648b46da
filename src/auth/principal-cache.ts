import { Injectable } from '@nestjs/common';
import type { Principal } from './principal';

/** While revocations reach this instance by NOTIFY, a key may stay cached this long. */
export const HEARD_TTL_MS = 60_000;
/** While they may not (the listening connection is down), a revocation elsewhere takes effect within this. */
export const UNHEARD_TTL_MS = 1000;

/**
 * Recently authenticated keys, by hash. A revocation on this instance removes the key
 * here before the revoking call answers; other instances sharing the database hear
 * it through the access change feed (a NOTIFY, src/access/access-feed.ts) within
 * milliseconds. The feed lengthens the cache's lifetime while it is listening and
 * shortens it to a second while it is not.
 */
@Injectable()
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; at: number }>();
  /** Revocation is for ever: a look-up that read the key just before it was revoked must not cache it after. */
  private readonly revoked = new Set<string>();
  private ttlMs = UNHEARD_TTL_MS;

  /** Set by whoever knows whether revocations from other instances are being heard. */
  hearingRevocations(heard: boolean): void {
    this.ttlMs = heard ? HEARD_TTL_MS : UNHEARD_TTL_MS;
  }

  get(keyHash: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    if (now - entry.at < this.ttlMs) return entry.principal;
    this.entries.delete(keyHash);
    return undefined;
  }

  set(keyHash: string, principal: Principal, now = Date.now()): void {
    if (!this.revoked.has(principal.keyId)) this.entries.set(keyHash, { principal, at: now });
  }

  /** The key was revoked: drop it now and never cache it again. */
  forget(keyId: string): void {
    this.revoked.add(keyId);
    for (const [hash, entry] of this.entries) if (entry.principal.keyId === keyId) this.entries.delete(hash);
  }
}
