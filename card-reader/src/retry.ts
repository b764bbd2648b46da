/**
 * Retrying a request that moves money is only safe with the same Idempotency-Key on
 * every attempt: the service then executes it at most once and answers every retry with
 * that one outcome. This module only decides when to try again; the caller keeps the key.
 */

export interface RetryPolicy {
  /** Stop starting new attempts this long after the first began. */
  retryForMs: number;
  /** Waits between attempts; the last one repeats. */
  delaysMs: readonly number[];
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted: no further attempt (the bridge is stopping). */
  signal?: AbortSignal;
}

export const DEFAULT_DELAYS_MS = [200, 500, 1000, 2000] as const;

export class GaveUp extends Error {
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last instanceof Error ? last.message : String(last)}`);
    this.name = 'GaveUp';
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `attempt` until `retryable` says its outcome is final, the time is up, or the
 * signal aborts. Resolves with the final value and the number of attempts; throws GaveUp
 * (carrying the last error or value) otherwise.
 */
export async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  retryable: (outcome: Outcome<T>) => boolean,
  policy: RetryPolicy,
  onRetry?: (n: number, outcome: Outcome<T>, delayMs: number) => void,
): Promise<{ value: T; attempts: number }> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? defaultSleep;
  const started = now();
  for (let n = 1; ; n++) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (!retryable(outcome)) {
      if (outcome.ok) return { value: outcome.value, attempts: n };
      throw outcome.error;
    }
    const delay = policy.delaysMs[Math.min(n - 1, policy.delaysMs.length - 1)] ?? 0;
    if (policy.signal?.aborted || now() + delay - started >= policy.retryForMs) throw new GaveUp(n, outcome.ok ? outcome.value : outcome.error);
    onRetry?.(n, outcome, delay);
    await sleep(delay, policy.signal);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
