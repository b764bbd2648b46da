import { performance } from 'node:perf_hooks';
import { startCpuMeter, type CpuBreakdown } from './cpu';

/** The part of autocannon's programmatic API this bench uses (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  overallRate?: number;
  ignoreCoordinatedOmission?: boolean;
  timeout?: number;
  requests: AutocannonRequest[];
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Record<string, number>;
  requests: { total: number; average: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: AutocannonOptions) => Promise<AutocannonResult>;

export interface LoadScenario {
  /** Short id, also the prefix of its Idempotency-Keys so its payments can be found in the database. */
  id: string;
  title: string;
  connections: number;
  seconds: number;
  /** autocannon overallRate (requests/s over all connections); unset = as fast as answers come back. */
  overallRate?: number;
  /**
   * With a rate: run one autocannon instance per connection, their starts spread evenly
   * over one second. autocannon gives each connection a quota per second and releases
   * all quotas at the same instant (every client's 1 s timer starts together), so one
   * instance with 64 connections offers its 1,000/s as a burst of 64 concurrent requests
   * at the top of each second. Staggered instances offer the same overallRate spread
   * over the second, as terminals in a community would.
   */
  staggered?: boolean;
  /** Terminal keys to pay with, one picked at random per request (one key = one merchant). */
  merchantKeys: string[];
  /**
   * Send amount "0.00", which validation refuses (400) before any database work: what
   * one request costs the service in HTTP, routing, auth, logging and validation alone.
   */
  refused?: boolean;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  id: string;
  title: string;
  /** The status every answer should have: 201, or 400 for a `refused` scenario. */
  expectedStatus: number;
  connections: number;
  offeredRate: number | null;
  /** autocannon's own measured duration of the run. */
  seconds: number;
  sent: number;
  answered: number;
  /** 201: approved payments the client saw. */
  approved: number;
  approvedPerSecond: number;
  /** Sum of the amounts of the 201 answers, in yuan. */
  approvedAmount: string;
  /** 402: declines (should be 0: every card holds 5000.00 and payments are at most 1.00). */
  declined: number;
  /** Every answer by status code. */
  statusCounts: Record<string, number>;
  /** Socket errors and timeouts, as autocannon counts them. */
  errors: number;
  timeouts: number;
  /** Time from writing a request to its whole answer, over every answer, measured here to the microsecond. */
  latencyMs: LatencySummary;
  /** autocannon's own latency figures for 2xx answers (whole milliseconds, rounded down), for reference; null when staggered (several instances). */
  autocannonLatencyMs: { p50: number; p99: number; max: number } | null;
  /** autocannon instances the load came from (see LoadScenario.staggered). */
  instances: number;
  /** Status and body of the first few answers other than expectedStatus. */
  otherSamples: string[];
  cpu: CpuBreakdown;
  /** Requests written but not answered when autocannon stopped (it closes the sockets): their keys, to look up in the database. */
  unanswered: { key: string; cents: number }[];
}

/**
 * One autocannon run against POST /v1/payments. Each request gets a fresh
 * Idempotency-Key, a random card of the fixture, an amount of 0.01-1.00 (0.00 when
 * `refused`) and a random one of the scenario's merchant terminal keys. Every request's key is tracked
 * until its answer arrives, so a run's effect on the database can be reconciled
 * exactly with what the client was told.
 */
export async function runLoad(
  baseUrl: string,
  scenario: LoadScenario,
  uids: readonly string[],
  runTag: string,
  servicePid: number,
  /** The PostgreSQL pids working for this run, asked for when the load ends (the service's pool opens connections as it needs them). */
  ownPostgres: () => Promise<Set<number>>,
): Promise<LoadResult> {
  const pending = new Map<string, { cents: number; t0: number }>();
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const otherSamples: string[] = [];
  let sent = 0;
  let approvedCents = 0;
  const keys = scenario.merchantKeys;
  const expectedStatus = scenario.refused ? 400 : 201;

  const request: AutocannonRequest = {
    method: 'POST',
    path: '/v1/payments',
    // autocannon calls this right before writing each request (with pipelining 1, one per connection at a time).
    setupRequest: (req, context) => {
      // The dot ends the scenario id, so one id is never a prefix of another's keys (spread / spread-c64).
      const key = `${runTag}-${scenario.id}.${++sent}`;
      const cents = scenario.refused ? 0 : 1 + Math.floor(Math.random() * 100);
      const uid = uids[Math.floor(Math.random() * uids.length)];
      const merchantKey = keys.length === 1 ? keys[0] : keys[Math.floor(Math.random() * keys.length)];
      context.key = key;
      pending.set(key, { cents, t0: performance.now() });
      return {
        ...req,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchantKey}`, 'idempotency-key': key },
        body: `{"uid":"${uid}","amount":"${(cents / 100).toFixed(2)}"}`,
      };
    },
    // With pipelining 1 the context is still that of the request this answer belongs to.
    onResponse: (status, body, context) => {
      const key = context.key as string;
      const p = pending.get(key);
      if (p) {
        latencies.push(performance.now() - p.t0);
        pending.delete(key);
        if (status === 201) approvedCents += p.cents;
      }
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      if (status !== expectedStatus && otherSamples.length < 5) otherSamples.push(`${status} ${body.slice(0, 300)}`);
    },
  };

  const cpuMeter = startCpuMeter(servicePid);
  const results = scenario.staggered && scenario.overallRate ? await staggered(baseUrl, scenario, request) : [await autocannon(instanceOptions(baseUrl, scenario.connections, scenario.seconds, scenario.overallRate, request))];
  const cpu = cpuMeter(await ownPostgres());

  // Each instance measures its own duration; they all ran for `seconds`, give or take a tick.
  const seconds = results.reduce((sum, r) => sum + r.duration, 0) / results.length;
  const approved = statusCounts['201'] ?? 0;
  return {
    id: scenario.id,
    title: scenario.title,
    expectedStatus,
    connections: scenario.connections,
    offeredRate: scenario.overallRate ?? null,
    seconds: round(seconds, 2),
    sent,
    answered: latencies.length,
    approved,
    approvedPerSecond: round(approved / seconds, 1),
    approvedAmount: (approvedCents / 100).toFixed(2),
    declined: statusCounts['402'] ?? 0,
    statusCounts,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    latencyMs: summarize(latencies),
    autocannonLatencyMs: results.length === 1 ? { p50: results[0].latency.p50, p99: results[0].latency.p99, max: results[0].latency.max } : null,
    instances: results.length,
    otherSamples,
    cpu,
    unanswered: [...pending].map(([key, p]) => ({ key, cents: p.cents })),
  };
}

function instanceOptions(url: string, connections: number, seconds: number, overallRate: number | undefined, request: AutocannonRequest): AutocannonOptions {
  return {
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    // Raw latencies in autocannon's own figures too: its correction takes 1/rate of one connection, rounded up to 1 ms, as the
    // expected interval and adds synthetic samples below each real one. (It accepts the flag only together with a rate.)
    ...(overallRate ? { overallRate, ignoreCoordinatedOmission: true } : {}),
    requests: [request],
  };
}

/** One single-connection instance per connection, started 1000/connections ms apart, their rates adding up to overallRate. */
async function staggered(url: string, scenario: LoadScenario, request: AutocannonRequest): Promise<AutocannonResult[]> {
  const total = scenario.overallRate!;
  // A rate of 0 would mean "no limit" to autocannon: never more instances than requests per second.
  const n = Math.min(scenario.connections, total);
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      // Whole requests per second each (autocannon's rates are integers), spread so they add up exactly.
      const rate = Math.floor(total / n) + (i < total % n ? 1 : 0);
      await new Promise((r) => setTimeout(r, (i * 1000) / n));
      return autocannon(instanceOptions(url, 1, scenario.seconds, rate, request));
    }),
  );
}

function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  // Nearest-rank percentile: the smallest value with at least p of the samples at or below it.
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)], 2);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: round(sorted[sorted.length - 1], 2), mean: round(values.reduce((a, b) => a + b, 0) / values.length, 2) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
