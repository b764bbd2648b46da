/** What a payments bench run can be told from outside; the only place this bench reads the environment. */
export interface PaymentsBenchOptions {
  /** A PostgreSQL server URL pointing at a maintenance database; scratch databases are made beside it. */
  serverUrl: string;
  /** Length of each measured scenario, and of pgbench's run. */
  seconds: number;
  /**
   * autocannon connections (requests in flight) for the throughput scenarios, and pgbench's
   * -c (capped at the server's free connection slots). Default 512: in a sweep over 16-1024
   * throughput rises with concurrency (bigger shared batches) and plateaus from 256 to 1,024,
   * where lock waits between batches eat the gain; 512 is in the middle of the plateau.
   */
  connections: number;
  /** The offered rate (autocannon overallRate, requests/s) of the latency scenario. */
  rate: number;
  /** Connections of the latency scenarios: how many terminals the offered rate comes from (default 64, whatever BENCH_CONNECTIONS is). */
  rateConnections: number;
  /** Extra connection counts to run the spread scenario (and pgbench) at once each, to find the peak. */
  sweep: number[];
  /** Profile the service's CPU during the spread scenario (a .cpuprofile and a summary). */
  cpuProfile: boolean;
  /** Extra `node` flags for the service (e.g. --perf-basic-prof to profile it with Linux perf). */
  serviceNodeArgs: string[];
  /** Requests in flight while the fixture is created over HTTP. */
  setupConcurrency: number;
  cards: number;
  merchants: number;
}

export function readPaymentsBenchOptions(env: NodeJS.ProcessEnv = process.env): PaymentsBenchOptions {
  const connections = positiveInt(env.BENCH_CONNECTIONS, 512, 'BENCH_CONNECTIONS');
  return {
    serverUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    seconds: positiveInt(env.BENCH_SECONDS, 15, 'BENCH_SECONDS'),
    connections,
    rate: positiveInt(env.BENCH_RATE, 1000, 'BENCH_RATE'),
    rateConnections: positiveInt(env.BENCH_RATE_CONNECTIONS, 64, 'BENCH_RATE_CONNECTIONS'),
    sweep: (env.BENCH_SWEEP ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => positiveInt(s, 0, 'BENCH_SWEEP')),
    cpuProfile: env.BENCH_CPU_PROFILE === '1',
    serviceNodeArgs: (env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
    setupConcurrency: 32,
    cards: positiveInt(env.BENCH_CARDS, 10_000, 'BENCH_CARDS'),
    merchants: 50,
  };
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}
