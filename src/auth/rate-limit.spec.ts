import { KeyRateLimiter, RateLimited } from './rate-limit';
import type { Principal } from './principal';

const principal = (keyId: string): Principal => ({ keyId, role: 'merchant', name: 't', merchantId: 'm', doorIds: [] });

describe('KeyRateLimiter', () => {
  test('lets exactly the limit through in one window, then refuses until the window ends', () => {
    const l = new KeyRateLimiter(3);
    const t0 = 1_000_000;
    expect([1, 2, 3, 4, 5].map((i) => l.hit('k', t0 + i))).toEqual([true, true, true, false, false]);
    expect(l.retryAfter('k', t0 + 500)).toBe(1);
    expect(l.hit('k', t0 + 999)).toBe(false);
    expect(l.hit('k', t0 + 1001)).toBe(true);
  });

  test('counts each key on its own', () => {
    const l = new KeyRateLimiter(1);
    expect(l.hit('a', 10)).toBe(true);
    expect(l.hit('a', 11)).toBe(false);
    expect(l.hit('b', 12)).toBe(true);
  });

  test('check() throws a 429 with the seconds to wait; a limit of 0 never does', () => {
    const l = new KeyRateLimiter(1);
    l.check(principal('x'));
    expect(() => l.check(principal('x'))).toThrow(RateLimited);
    try {
      l.check(principal('x'));
    } catch (err) {
      expect((err as RateLimited).getStatus()).toBe(429);
      expect((err as RateLimited).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    const off = new KeyRateLimiter(0);
    for (let i = 0; i < 100; i++) off.check(principal('x'));
  });

  test('as the throttler storage, reports blocked hits in the same windows', async () => {
    const l = new KeyRateLimiter(2);
    const records = [await l.increment('k'), await l.increment('k'), await l.increment('k')];
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, true]);
    expect(records[2].totalHits).toBe(3);
    expect(records[2].timeToBlockExpire).toBeGreaterThanOrEqual(1);
  });

  test('forgets idle keys', () => {
    const l = new KeyRateLimiter(1);
    l.hit('old', 0);
    l.hit('new', 120_000);
    expect((l as unknown as { windows: Map<string, unknown> }).windows.has('old')).toBe(false);
  });
});
