import { sleep } from './service';

export interface Answer {
  status: number;
  body: any;
  replayed: boolean;
  /** Attempts after the first. */
  retries: number;
}

export class Unanswered extends Error {}

/** Why an attempt did not count as an answer; for the figures. */
export type RetryCause = 'connection' | 'timeout' | '5xx' | 'in_progress' | 'rate_limited';

/**
 * A terminal's HTTP client: sends a request until it gets an answer. A connection
 * error, a timeout, a 5xx, a 429 or `409 idempotency_key_in_progress` is not an answer: the
 * very same request (same Idempotency-Key, same body) goes again after a short,
 * growing pause, as a real terminal does while the service or its database is down.
 * Only a request unanswered for `giveUpMs` is given up on (a liveness failure).
 */
export class RetryingClient {
  readonly retryCauses: Record<RetryCause, number> = { connection: 0, timeout: 0, '5xx': 0, in_progress: 0, rate_limited: 0 };
  /**
   * Requests whose final answer was a replay although this client had not had an answer
   * before: an earlier attempt had committed, and its answer was lost in the crash.
   */
  replayedAfterRetry = 0;
  private closed = false;

  constructor(
    private readonly baseUrl: () => string,
    private readonly opts: { attemptTimeoutMs: number; giveUpMs: number },
  ) {}

  /** Every request in flight gives up at its next retry, and no new one starts: for the end of an aborted campaign. */
  close(): void {
    this.closed = true;
  }

  get retries(): number {
    return Object.values(this.retryCauses).reduce((a, b) => a + b, 0);
  }

  async send(method: 'GET' | 'POST', path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = Date.now();
    let retries = 0;
    let pause = 25;
    let last = '';
    for (;;) {
      if (this.closed) throw new Unanswered(`${method} ${path}: the campaign was aborted`);
      let cause: RetryCause;
      try {
        const res = await fetch(`${this.baseUrl()}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(this.opts.attemptTimeoutMs) });
        const text = await res.text();
        const parsed = text.length > 0 ? safeJson(text) : undefined;
        const inProgress = res.status === 409 && parsed?.code === 'idempotency_key_in_progress';
        if (res.status < 500 && res.status !== 429 && !inProgress) {
          if (retries > 0 && res.headers.get('idempotent-replayed') === 'true') this.replayedAfterRetry++;
          return { status: res.status, body: parsed, replayed: res.headers.get('idempotent-replayed') === 'true', retries };
        }
        cause = res.status >= 500 ? '5xx' : inProgress ? 'in_progress' : 'rate_limited';
        last = `${res.status} ${text.slice(0, 200)}`;
        if (cause === 'rate_limited') pause = Math.max(pause, 1000 * Number(res.headers.get('retry-after') ?? 1));
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        cause = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'connection';
        last = `${e.name}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      }
      this.retryCauses[cause] += 1;
      retries += 1;
      if (Date.now() - started > this.opts.giveUpMs) {
        throw new Unanswered(`${method} ${path} (Idempotency-Key ${idempotencyKey ?? '-'}) unanswered after ${retries} retries in ${Math.round((Date.now() - started) / 1000)} s; last: ${last}`);
      }
      await sleep(pause * (0.5 + Math.random()));
      pause = Math.min(pause * 2, 500);
    }
  }
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return { unparsable: text.slice(0, 200) };
  }
}
