import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startCpuMeter, type CpuBreakdown } from '../payments/cpu';
import type { CheckRequest } from './mix';

/** The part of autocannon's programmatic API this bench uses (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonClient {
  requestIterator: { setRequests(requests: AutocannonRequest[]): void };
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining: number;
  overallRate?: number;
  ignoreCoordinatedOmission?: boolean;
  timeout?: number;
  requests: AutocannonRequest[];
  setupClient?: (client: AutocannonClient) => void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Record<string, number>;
}
type Tracker = EventEmitter & PromiseLike<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: AutocannonOptions) => Tracker;

export interface LoadSpec {
  id: string;
  title: string;
  target: 'bare' | 'service';
  baseUrl: string;
  /** The checks to send; each connection cycles through its own slice of them. */
  requests: CheckRequest[];
  connections: number;
  pipelining: number;
  seconds: number;
  /** autocannon overallRate; unset = as fast as answers come back. */
  overallRate?: number;
  /**
   * With a rate: one single-connection autocannon instance per connection, their starts
   * spread over one second. autocannon releases every connection's quota at the same
   * instant each second, so one instance offers its rate as bursts at the top of each
   * second; staggered instances offer the same rate spread over the second.
   */
  staggered?: boolean;
  /**
   * Compare every answer body with the expected one. Costs the load generator a header
   * conversion and a callback per answer (autocannon does both only when asked), so the
   * throughput runs leave it off and the answers are checked before and after them instead.
   */
  checkAnswers?: boolean;
  /** The server process, for its CPU figures. */
  serverPid: number | null;
  /** PostgreSQL pids working for this run, asked for when the load ends; unset: every postgres process. */
  ownPostgres?: () => Promise<Set<number>>;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** How many took longer than 10 ms, 100 ms and 1 s. */
  over10ms: number;
  over100ms: number;
  over1s: number;
}

export interface LoadResult {
  id: string;
  title: string;
  target: 'bare' | 'service';
  connections: number;
  pipelining: number;
  offeredRate: number | null;
  instances: number;
  /** autocannon's own measured duration. */
  seconds: number;
  answered: number;
  /** Answers per second: decisions/s for the service, fixed bodies/s for the bare server. */
  perSecond: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Write of the request to the end of its answer, from autocannon's own per-request timer (sub-millisecond). */
  latencyMs: LatencySummary;
  /**
   * The same over the requests sent from the second second on: in the first one the
   * load generator is still opening its connections and starting its instances, and
   * answers then wait on it (a bare node:http server shows the same start-up tail).
   */
  steadyLatencyMs: LatencySummary;
  /** autocannon's histogram figures (whole milliseconds), for reference; null when staggered. */
  autocannonLatencyMs: { p50: number; p99: number; max: number } | null;
  /** With checkAnswers: how many answers were compared and how many differed from the expected body. */
  answers: { checked: number; mismatched: number; samples: string[] } | null;
  cpu: CpuBreakdown;
  /** Answers slower than 100 ms (the first 200): when they were sent, in ms from the start of the run, and how long they took. */
  slow: { atMs: number; ms: number }[];
  /** This process's event-loop delay during the run: a stalled load generator adds to every latency it measures. */
  loadGeneratorLoopDelayMs: { p99: number; max: number };
  /** CPU per answer in microseconds: the server process and this process (autocannon). */
  cpuMicrosPerAnswer: { server: number; loadGenerator: number; postgres: number };
}

/** Answers to requests sent before this much time into a run are left out of steadyLatencyMs. */
const STEADY_AFTER_MS = 1000;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const answers = spec.checkAnswers ? { checked: 0, mismatched: 0, samples: [] as string[] } : null;
  const toRequest = (r: CheckRequest): AutocannonRequest => ({
    method: r.method,
    path: r.path,
    headers: r.headers,
    body: r.body,
    ...(answers
      ? {
          onResponse: (status: number, body: string) => {
            answers.checked++;
            if (status !== 200 || body !== r.expected) {
              answers.mismatched++;
              if (answers.samples.length < 5) answers.samples.push(`${r.kind}: expected ${r.expected}, got ${status} ${body.slice(0, 200)}`);
            }
          },
        }
      : {}),
  });
  const slow: { atMs: number; ms: number }[] = [];
  const startedAt = performance.now();
  const steady: number[] = [];
  const onResponse = (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (performance.now() - ms - startedAt >= STEADY_AFTER_MS) steady.push(ms);
    if (ms > 100 && slow.length < 200) slow.push({ atMs: Math.round(performance.now() - ms - startedAt), ms: round(ms, 1) });
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuMeter = startCpuMeter(spec.serverPid);
  let results: AutocannonResult[];
  if (spec.staggered && spec.overallRate) {
    const total = spec.overallRate;
    const n = Math.min(spec.connections, total);
    const slices = split(spec.requests, n);
    results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        // Whole requests per second each (autocannon's rates are integers), adding up exactly.
        const rate = Math.floor(total / n) + (i < total % n ? 1 : 0);
        await new Promise((r) => setTimeout(r, (i * 1000) / n));
        const tracker = autocannon({ ...base(spec, 1, rate), requests: slices[i].map(toRequest) });
        tracker.on('response', onResponse);
        return tracker;
      }),
    );
  } else {
    const slices = split(spec.requests, spec.connections).map((s) => s.map(toRequest));
    let next = 0;
    const tracker = autocannon({
      ...base(spec, spec.connections, spec.overallRate),
      // A placeholder: every client gets its own slice before it connects.
      requests: [slices[0][0]],
      setupClient: (client) => client.requestIterator.setRequests(slices[next++ % slices.length]),
    });
    tracker.on('response', onResponse);
    results = [await tracker];
  }
  const cpu = cpuMeter(spec.ownPostgres ? await spec.ownPostgres() : undefined);
  loopDelay.disable();

  const seconds = results.reduce((s, r) => s + r.duration, 0) / results.length;
  const answered = latencies.length;
  const perSecond = answered / seconds;
  const us = (percent: number) => (perSecond > 0 ? Math.round((percent * 10_000) / perSecond) : NaN);
  return {
    id: spec.id,
    title: spec.title,
    target: spec.target,
    connections: spec.connections,
    pipelining: spec.pipelining,
    offeredRate: spec.overallRate ?? null,
    instances: results.length,
    seconds: round(seconds, 2),
    answered,
    perSecond: round(perSecond, 1),
    statusCounts,
    errors: results.reduce((s, r) => s + r.errors, 0),
    timeouts: results.reduce((s, r) => s + r.timeouts, 0),
    latencyMs: summarize(latencies),
    steadyLatencyMs: summarize(steady),
    autocannonLatencyMs: results.length === 1 ? { p50: results[0].latency.p50, p99: results[0].latency.p99, max: results[0].latency.max } : null,
    answers,
    cpu,
    slow,
    loadGeneratorLoopDelayMs: { p99: round(loopDelay.percentile(99) / 1e6, 2), max: round(loopDelay.max / 1e6, 2) },
    cpuMicrosPerAnswer: { server: us(cpu.servicePercent), loadGenerator: us(cpu.benchPercent), postgres: us(cpu.postgresPercent) },
  };
}

function base(spec: LoadSpec, connections: number, overallRate: number | undefined): Omit<AutocannonOptions, 'requests'> {
  return {
    url: spec.baseUrl,
    connections,
    duration: spec.seconds,
    pipelining: spec.pipelining,
    timeout: 10,
    // Raw latencies in autocannon's own figures too (it accepts the flag only together with a rate).
    ...(overallRate ? { overallRate, ignoreCoordinatedOmission: true } : {}),
  };
}

/** n disjoint slices, dealt round-robin, so each keeps the pool's mix. */
function split<T>(items: readonly T[], n: number): T[][] {
  const slices: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => slices[i % n].push(item));
  return slices.filter((s) => s.length > 0);
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN, over10ms: 0, over100ms: 0, over1s: 0 };
  const sorted = Float64Array.from(values).sort();
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)], 3);
  const over = (ms: number) => values.reduce((n, v) => (v > ms ? n + 1 : n), 0);
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: round(sorted[sorted.length - 1], 3),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length, 3),
    over10ms: over(10),
    over100ms: over(100),
    over1s: over(1000),
  };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
