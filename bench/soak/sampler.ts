import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { startCpuMeter, type CpuBreakdown } from '../payments/cpu';
import { heapProbeSocket } from './probe-path';

/** The service, as its own GET /metrics (prom-client's default metrics) tells it. */
export interface ServiceMetrics {
  residentBytes: number | null;
  heapUsedBytes: number | null;
  heapTotalBytes: number | null;
  externalBytes: number | null;
  /** Event-loop delay since the previous scrape (prom-client resets its histogram on every scrape). */
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
  activeHandles: number | null;
  openFds: number | null;
  /** Seconds the scrape itself took. */
  scrapeMs: number;
}

/** One sample, taken at the end of each interval. */
export interface Sample {
  /** Measured seconds at the end of the interval. */
  t: number;
  metrics: ServiceMetrics | null;
  /** From /proc/<pid>/status: resident set now and its high-water mark. */
  procRssBytes: number | null;
  procHwmBytes: number | null;
  cpu: CpuBreakdown;
  /** This process's (the load generator's) event-loop delay over the interval: a stalled client adds to what it measures. */
  benchLoopDelay: { p99Ms: number; maxMs: number };
  inFlight: number;
  databaseBytes: number | null;
}

/** The heap right after a forced full collection in the service (see heap-probe.ts). */
export interface HeapAfterGc {
  t: number;
  gcMs: number;
  heapUsedBefore: number;
  heapUsedAfter: number;
  rssAfter: number;
  externalAfter: number;
  spaces: Record<string, number>;
}

const NAMES: Record<string, keyof Omit<ServiceMetrics, 'scrapeMs'>> = {
  process_resident_memory_bytes: 'residentBytes',
  nodejs_heap_size_used_bytes: 'heapUsedBytes',
  nodejs_heap_size_total_bytes: 'heapTotalBytes',
  nodejs_external_memory_bytes: 'externalBytes',
  nodejs_eventloop_lag_p99_seconds: 'loopDelayP99Ms',
  nodejs_eventloop_lag_max_seconds: 'loopDelayMaxMs',
  nodejs_active_handles_total: 'activeHandles',
  process_open_fds: 'openFds',
};

/** Reads the few unlabelled series this bench wants out of the Prometheus text format. */
export function parseMetrics(text: string, scrapeMs: number): ServiceMetrics {
  const m: ServiceMetrics = { residentBytes: null, heapUsedBytes: null, heapTotalBytes: null, externalBytes: null, loopDelayP99Ms: null, loopDelayMaxMs: null, activeHandles: null, openFds: null, scrapeMs };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.indexOf(' ');
    const field = NAMES[line.slice(0, sp)];
    if (!field) continue;
    const v = Number(line.slice(sp + 1));
    m[field] = field.endsWith('Ms') ? Math.round(v * 1e5) / 100 : v;
  }
  return m;
}

function httpGet(options: { url?: string; socketPath?: string; path?: string }, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = options.url ? get(options.url, { agent: false }, onRes) : get({ socketPath: options.socketPath, path: options.path, agent: false }, onRes);
    function onRes(res: import('node:http').IncomingMessage) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function scrapeMetrics(baseUrl: string): Promise<ServiceMetrics> {
  const t0 = performance.now();
  const res = await httpGet({ url: `${baseUrl}/metrics` }, 10_000);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(res.body, Math.round((performance.now() - t0) * 100) / 100);
}

export function procMemory(pid: number): { rss: number | null; hwm: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : null;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: null, hwm: null };
  }
}

/** A full GC in the service, and its heap right after (heap-probe.ts, preloaded). */
export async function heapAfterGc(pid: number, t: number): Promise<HeapAfterGc> {
  const res = await httpGet({ socketPath: heapProbeSocket(pid), path: '/gc' }, 30_000);
  if (res.status !== 200) throw new Error(`heap probe answered ${res.status}: ${res.body}`);
  const r = JSON.parse(res.body) as { gcMs: number; before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage; spaces: Record<string, number> };
  return { t, gcMs: Math.round(r.gcMs * 100) / 100, heapUsedBefore: r.before.heapUsed, heapUsedAfter: r.after.heapUsed, rssAfter: r.after.rss, externalAfter: r.after.external, spaces: r.spaces };
}

/**
 * Takes a sample at the end of every interval: the service's metrics and /proc figures,
 * CPU over the interval (service, PostgreSQL for this database, this process, the rest
 * of the machine), and this process's own event-loop delay.
 */
export class Sampler {
  private cpu: (own?: Set<number>) => CpuBreakdown;
  private readonly loop: IntervalHistogram;

  constructor(
    private readonly baseUrl: string,
    private readonly pid: number,
    private readonly db: Knex,
    private readonly database: string,
  ) {
    this.cpu = startCpuMeter(pid);
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  /** Restarts the CPU meter and the loop histogram (at the start of the measured part). */
  reset(): void {
    this.cpu = startCpuMeter(this.pid);
    this.loop.reset();
  }

  async take(t: number, inFlight: number): Promise<Sample> {
    const own = await this.ownPostgres().catch(() => undefined);
    const cpu = this.cpu(own);
    this.cpu = startCpuMeter(this.pid);
    const benchLoopDelay = { p99Ms: Math.round(this.loop.percentile(99) / 1e4) / 100, maxMs: Math.round(this.loop.max / 1e4) / 100 };
    this.loop.reset();
    const proc = procMemory(this.pid);
    const metrics = await scrapeMetrics(this.baseUrl).catch(() => null);
    const databaseBytes = await this.db
      .raw<{ rows: { n: string }[] }>('SELECT pg_database_size(?)::text AS n', [this.database])
      .then((r) => Number(r.rows[0].n))
      .catch(() => null);
    return { t, metrics, procRssBytes: proc.rss, procHwmBytes: proc.hwm, cpu, benchLoopDelay, inFlight, databaseBytes };
  }

  stop(): void {
    this.loop.disable();
  }

  private async ownPostgres(): Promise<Set<number>> {
    const { rows } = await this.db.raw<{ rows: { pid: number }[] }>(`SELECT pid FROM pg_stat_activity WHERE datname = ? OR backend_type <> 'client backend'`, [this.database]);
    return new Set(rows.map((r) => r.pid));
  }
}
