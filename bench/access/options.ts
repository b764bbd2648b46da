/** What a door-access bench run can be told from outside; the only place this bench reads the environment. */
export interface AccessBenchOptions {
  /** A PostgreSQL server URL pointing at a maintenance database; the bench database is made beside it. */
  serverUrl: string;
  /** Length of each measured throughput run (the bare server's and the service's). */
  seconds: number;
  /** Rounds of (bare server, service), alternated so both see the same machine; figures are medians over rounds. */
  rounds: number;
  /** autocannon connections of the throughput runs (the same for the bare server and the service). */
  connections: number;
  /** autocannon pipelining of the throughput runs (door controllers do not pipeline: default 1). */
  pipelining: number;
  /** Unmeasured load before the first measured run of each server, so the JIT and pools are warm. */
  warmupSeconds: number;
  /** Offered rate (autocannon overallRate, checks/s) of the latency runs. */
  rate: number;
  rateConnections: number;
  rateSeconds: number;
  /** Also run the offered rate from one stock autocannon instance (each connection's quota released at the top of each second). */
  rateAligned: boolean;
  /** Lock-to-deny trials on the second instance. */
  trials: number;
  /** The service's LOG_LEVEL. Default: the service's own default (`info`, one log line per request), as in production. */
  logLevel: string;
  /** Also measure the service once at LOG_LEVEL=warn (a third instance, after the revocation trials), for what request logging costs. */
  compareWarn: boolean;
  /** Profile the service's CPU during one more throughput run (V8 sampling profiler, 1 ms) and break it down. */
  cpuProfile: boolean;
  /** Extra `node` flags for the service. */
  serviceNodeArgs: string[];
  /** Keep the service logs whole (at info they are a few hundred bytes per check); default: keep the first lines and every warning. */
  keepLogs: boolean;
  cards: number;
  /** Residents with a locked card, on top of `cards` residents with an active one. */
  lockedCards: number;
  doors: number;
  /** Door API keys cover at most 1,000 doors each; the doors are split over keys of this many. */
  doorsPerKey: number;
  /** Distinct check requests in the load mix (each with its expected answer). */
  requestPool: number;
  /** Free text kept with the result, e.g. which tree was measured when it is not a git checkout. */
  sourceNote: string | null;
}

export function readAccessBenchOptions(env: NodeJS.ProcessEnv = process.env): AccessBenchOptions {
  const quick = env.BENCH_QUICK === '1';
  const connections = positiveInt(env.BENCH_CONNECTIONS, 64, 'BENCH_CONNECTIONS');
  return {
    serverUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    seconds: positiveInt(env.BENCH_SECONDS, quick ? 4 : 8, 'BENCH_SECONDS'),
    rounds: positiveInt(env.BENCH_ROUNDS, quick ? 1 : 3, 'BENCH_ROUNDS'),
    connections,
    pipelining: positiveInt(env.BENCH_PIPELINING, 1, 'BENCH_PIPELINING'),
    warmupSeconds: positiveInt(env.BENCH_WARMUP_SECONDS, quick ? 2 : 3, 'BENCH_WARMUP_SECONDS'),
    rate: positiveInt(env.BENCH_RATE, 2000, 'BENCH_RATE'),
    rateConnections: positiveInt(env.BENCH_RATE_CONNECTIONS, 64, 'BENCH_RATE_CONNECTIONS'),
    rateSeconds: positiveInt(env.BENCH_RATE_SECONDS, quick ? 4 : 10, 'BENCH_RATE_SECONDS'),
    rateAligned: flag(env.BENCH_RATE_ALIGNED, !quick),
    trials: positiveInt(env.BENCH_TRIALS, quick ? 20 : 100, 'BENCH_TRIALS'),
    logLevel: env.BENCH_LOG_LEVEL || 'info',
    compareWarn: flag(env.BENCH_COMPARE_WARN, !quick),
    cpuProfile: flag(env.BENCH_CPU_PROFILE, false),
    serviceNodeArgs: (env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
    keepLogs: flag(env.BENCH_KEEP_LOGS, false),
    cards: positiveInt(env.BENCH_CARDS, 100_000, 'BENCH_CARDS'),
    lockedCards: nonNegativeInt(env.BENCH_LOCKED_CARDS, 1_000, 'BENCH_LOCKED_CARDS'),
    doors: positiveInt(env.BENCH_DOORS, 2_000, 'BENCH_DOORS'),
    doorsPerKey: Math.min(1000, positiveInt(env.BENCH_DOORS_PER_KEY, 500, 'BENCH_DOORS_PER_KEY')),
    requestPool: positiveInt(env.BENCH_REQUEST_POOL, 20_000, 'BENCH_REQUEST_POOL'),
    sourceNote: env.BENCH_SOURCE_NOTE || null,
  };
}

function flag(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined || text === '') return fallback;
  if (text !== '0' && text !== '1') throw new Error(`expected 0 or 1, got ${JSON.stringify(text)}`);
  return text === '1';
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function nonNegativeInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}
