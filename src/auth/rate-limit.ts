import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { AppConfig } from '../config/app-config';
import type { AuthenticatedRequest, Principal } from './principal';

/** One budget per key, whichever route spends it; 'default' keeps the standard Retry-After header name. */
const THROTTLER = 'default';
const WINDOW_MS = 1000;
const TOO_MANY = 'too many requests for this API key; slow down and retry after the Retry-After seconds';

interface Window {
  startedAt: number;
  hits: number;
}

/**
 * Requests per API key per one-second window, in memory on each instance. Fixed
 * windows keep the check O(1) and allocation-free, which matters on the door and
 * payment lane (thousands of checks a second); @nestjs/throttler's default storage
 * keeps every hit's timestamp and filters them on each request.
 */
export class KeyRateLimiter implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private sweptAt = 0;

  constructor(readonly perSecond: number) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Counts a request by this key; true when it is within the limit. */
  hit(key: string, now = Date.now()): boolean {
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || now - w.startedAt >= WINDOW_MS) {
      w = { startedAt: now, hits: 0 };
      this.windows.set(key, w);
    }
    w.hits++;
    return w.hits <= this.perSecond;
  }

  /** Seconds until the key's window ends, for Retry-After. */
  retryAfter(key: string, now = Date.now()): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.startedAt + WINDOW_MS - now) / 1000)) : 1;
  }

  /** For a Principal on the lane: throws 429 when the key is over its limit. */
  check(principal: Principal): void {
    if (this.enabled && !this.hit(principal.keyId)) throw new RateLimited(this.retryAfter(principal.keyId));
  }

  /** ThrottlerStorage, so that @nestjs/throttler's guard counts in the same windows as the lane. */
  increment(key: string): Promise<ThrottlerStorageRecord> {
    const within = this.hit(key);
    const w = this.windows.get(key)!;
    const timeToExpire = this.retryAfter(key);
    return Promise.resolve({ totalHits: w.hits, timeToExpire, isBlocked: !within, timeToBlockExpire: within ? 0 : timeToExpire });
  }

  /** Forgets idle keys now and then, so revoked and rotated keys do not accumulate. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, w] of this.windows) if (now - w.startedAt >= WINDOW_MS) this.windows.delete(key);
  }
}

export class RateLimited extends ThrottlerException {
  constructor(readonly retryAfterSeconds: number) {
    super(TOO_MANY);
  }
}

export function throttlerOptions(config: AppConfig, limiter: KeyRateLimiter): ThrottlerModuleOptions {
  return {
    throttlers: [{ name: THROTTLER, ttl: WINDOW_MS, limit: Math.max(config.rateLimitPerSecond, 1) }],
    storage: limiter,
    errorMessage: TOO_MANY,
  };
}

/**
 * @nestjs/throttler's guard, counting per API key rather than per address: a door
 * controller or terminal behind a shared NAT must not spend another's budget.
 * Registered after AuthGuard, so it sees the request's principal; public routes
 * (no key) count by address.
 */
@Injectable()
export class KeyThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(): Promise<boolean> {
    return !(this.storageService as KeyRateLimiter).enabled;
  }

  protected override async getTracker(req: AuthenticatedRequest & { ip?: string }): Promise<string> {
    return req.principal ? req.principal.keyId : `ip:${req.ip ?? 'unknown'}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }
}
