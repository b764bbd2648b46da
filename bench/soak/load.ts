import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { KindName } from './options';

/** One request of the mix, made just before it is sent, and what to make of its answer. */
export interface Outgoing {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Read the answer body (payments, refunds and door checks need it; the rest are only counted). */
  wantBody: boolean;
  /** true: the answer this request should get (an intended 402 included); a string: what was wrong with it. */
  onAnswer(status: number, body: string): true | string;
}

/** A kind of request offered at a fixed rate; `next` returns null when it has nothing to do (e.g. no payment to refund yet). */
export interface Kind {
  name: KindName;
  /** Requests per second offered. */
  rate: number;
  next(): Outgoing | null;
}

/** What happened to one kind of request within one sample interval. */
export interface Cell {
  /** Sent in this interval (by send time). */
  sent: number;
  /** Answered in this interval (by answer time); their latencies, in ms, from the request's creation to the end of its answer. */
  answered: number;
  latencies: number[];
  statuses: Record<string, number>;
  /** Answers other than the expected one (wrong status or, for door checks, wrong body). */
  unexpected: number;
  /** Socket errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Due but not sent, because maxInFlight requests were already open: the service was falling behind. */
  dropped: number;
  /** Due but there was nothing to do (no approved payment to refund or read yet, no card with room for a top-up). */
  skipped: number;
}

/** Idle keep-alive sockets are closed by the client after this long (see PacedClient). */
export const IDLE_SOCKET_MS = 2000;

export function emptyCell(): Cell {
  return { sent: 0, answered: 0, latencies: [], statuses: {}, unexpected: 0, errors: 0, timeouts: 0, dropped: 0, skipped: 0 };
}

export interface ClientOptions {
  sockets: number;
  maxInFlight: number;
  timeoutMs: number;
  warmupSeconds: number;
  seconds: number;
  sampleSeconds: number;
}

/**
 * An open-loop client: each kind's requests go out at its fixed rate whether or not
 * earlier ones have been answered (a 1 ms timer sends whatever is due), so a service
 * that slows down shows it as latency and open requests, not as a lower offered rate,
 * as autocannon's closed loop would. Latency runs from the moment the request is made
 * (waiting for a free socket included) to the end of its answer.
 *
 * Answers are filed by the interval they arrive in: warm-up (before the measured part),
 * interval 0..n-1, or the tail (after the measured part, while draining).
 */
export class PacedClient {
  readonly warmup = new Map<KindName, Cell>();
  readonly intervals: Map<KindName, Cell>[];
  readonly tail = new Map<KindName, Cell>();
  /** The first few unexpected answers and errors, for the report. */
  readonly samples: string[] = [];
  inFlight = 0;
  maxInFlightSeen = 0;
  /** The largest number of requests of one kind that were due at once (the client's own timer ran late). */
  maxBacklog = 0;
  private readonly agent: Agent;
  private readonly url: URL;
  private readonly scheduled = new Map<KindName, number>();
  private t0 = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private drained: (() => void) | null = null;

  constructor(
    baseUrl: string,
    private readonly kinds: Kind[],
    private readonly options: ClientOptions,
  ) {
    this.url = new URL(baseUrl);
    // Idle sockets are closed after 2 s, well before the service's keep-alive timeout (Node's default 5 s: the service's
    // serverFactory bypasses Fastify's 72 s). Otherwise a socket reused just as the server times it out is reset
    // (ECONNRESET), and a service whose event loop stalls (a full GC) widens that window to the stall.
    this.agent = new Agent({ keepAlive: true, maxSockets: options.sockets, maxFreeSockets: options.sockets, timeout: IDLE_SOCKET_MS });
    const n = Math.ceil(options.seconds / options.sampleSeconds);
    this.intervals = Array.from({ length: n }, () => new Map());
  }

  /** performance.now() when the load started (the warm-up's start). */
  get startedAt(): number {
    return this.t0;
  }

  /** Milliseconds of measured time (negative during the warm-up). */
  measuredMs(now = performance.now()): number {
    return now - this.t0 - this.options.warmupSeconds * 1000;
  }

  start(): void {
    this.t0 = performance.now();
    for (const k of this.kinds) this.scheduled.set(k.name, 0);
    const tick = () => {
      if (this.stopped) return;
      this.sendDue();
      this.timer = setTimeout(tick, 1);
    };
    tick();
  }

  /** Stops sending, waits for the open requests (at most `drainMs`), and closes the sockets. */
  async stop(drainMs = 35_000): Promise<{ openAtStop: number; unansweredAfterDrain: number }> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const openAtStop = this.inFlight;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const unansweredAfterDrain = this.inFlight;
    this.agent.destroy();
    return { openAtStop, unansweredAfterDrain };
  }

  private sendDue(): void {
    const elapsed = (performance.now() - this.t0) / 1000;
    for (const kind of this.kinds) {
      const target = Math.floor(kind.rate * elapsed);
      const done = this.scheduled.get(kind.name)!;
      if (target - done > this.maxBacklog) this.maxBacklog = target - done;
      for (let i = done; i < target; i++) this.send(kind);
      this.scheduled.set(kind.name, target);
    }
  }

  private cell(kind: KindName, now: number): Cell {
    const ms = this.measuredMs(now);
    const idx = Math.floor(ms / (this.options.sampleSeconds * 1000));
    const map = ms < 0 ? this.warmup : idx >= this.intervals.length ? this.tail : this.intervals[idx];
    let c = map.get(kind);
    if (!c) map.set(kind, (c = emptyCell()));
    return c;
  }

  private note(text: string): void {
    if (this.samples.length < 30) this.samples.push(`${new Date().toISOString().slice(11, 23)} ${text}`);
  }

  private send(kind: Kind): void {
    const now = performance.now();
    // Before next(): a request that is not sent must not have been made (no Idempotency-Key spent, no state changed).
    if (this.inFlight >= this.options.maxInFlight) {
      this.cell(kind.name, now).dropped++;
      return;
    }
    const out = kind.next();
    if (!out) {
      this.cell(kind.name, now).skipped++;
      return;
    }
    this.cell(kind.name, now).sent++;
    this.inFlight++;
    if (this.inFlight > this.maxInFlightSeen) this.maxInFlightSeen = this.inFlight;
    let finished = false;
    const finish = () => {
      finished = true;
      this.inFlight--;
      if (this.inFlight === 0 && this.drained) this.drained();
    };
    const headers = out.body === undefined ? out.headers : { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) };
    const req = request({ agent: this.agent, host: this.url.hostname, port: this.url.port, method: out.method, path: out.path, headers }, (res) => {
      let body = '';
      if (out.wantBody) {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
      } else {
        res.resume();
      }
      res.on('end', () => {
        if (finished) return;
        const end = performance.now();
        const c = this.cell(kind.name, end);
        c.answered++;
        c.latencies.push(end - now);
        const status = res.statusCode ?? 0;
        c.statuses[status] = (c.statuses[status] ?? 0) + 1;
        let verdict: true | string;
        try {
          verdict = out.onAnswer(status, body);
        } catch (err) {
          verdict = `could not read the answer: ${(err as Error).message}`;
        }
        if (verdict !== true) {
          c.unexpected++;
          this.note(`${kind.name} ${out.method} ${out.path}: ${verdict}`);
        }
        finish();
      });
      res.on('error', (err) => fail(err));
    });
    const fail = (err: Error) => {
      if (finished) return;
      const c = this.cell(kind.name, performance.now());
      if ((err as Error & { timeout?: boolean }).timeout) c.timeouts++;
      else c.errors++;
      this.note(`${kind.name} ${out.method} ${out.path}: ${err.message}`);
      finish();
    };
    req.setTimeout(this.options.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${this.options.timeoutMs} ms`), { timeout: true })));
    req.on('error', fail);
    req.end(out.body);
  }
}

/** Nearest-rank percentiles of a list of latencies (ms). */
export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => round2(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]);
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round2(sorted[sorted.length - 1]) };
}

/** Cells added up (latencies concatenated). */
export function mergeCells(cells: readonly (Cell | undefined)[]): Cell {
  const out = emptyCell();
  for (const c of cells) {
    if (!c) continue;
    out.sent += c.sent;
    out.answered += c.answered;
    for (const l of c.latencies) out.latencies.push(l);
    for (const [s, n] of Object.entries(c.statuses)) out.statuses[s] = (out.statuses[s] ?? 0) + n;
    out.unexpected += c.unexpected;
    out.errors += c.errors;
    out.timeouts += c.timeouts;
    out.dropped += c.dropped;
    out.skipped += c.skipped;
  }
  return out;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
