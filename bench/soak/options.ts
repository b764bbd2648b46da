/** What a soak run can be told from outside; the only place this bench reads the environment. */

/** The capacity measurement at the start of a run (bench/soak/capacity.ts), unless SOAK_PAYMENT_RATE is given. */
export const CAPACITY_SECONDS = 15;
export const CAPACITY_CONNECTIONS = 512;

/**
 * Every other kind of request is offered at a fixed share of the payment rate, so the
 * mix keeps its shape at any rate: at P payments/s, 0.2 P door checks, 0.05 P payment
 * reads, 0.02 P top-ups, 0.01 P refunds and 0.005 P merchant lists a second (1.285 P
 * requests/s in all), plus one disbursement every few minutes.
 */
export const MIX_SHARES = {
  /** POST /v1/payments, merchant terminal key; 1% of them with a UID no card has (an intended 402 unknown_card). */
  payment: 1,
  /** POST /v1/access/check, door controller key, from bench/access's check mix (allows and denies, exact bodies). */
  doorCheck: 0.2,
  /** GET /v1/payments/:id of a recent approved payment, with its merchant's key. */
  paymentRead: 0.05,
  /** POST /v1/top-ups by the operator key, only on cards with room under the cash cap. */
  topUp: 0.02,
  /** POST /v1/payments/:id/refunds of an approved payment not refunded yet, with its merchant's key: half whole, half partial. */
  refund: 0.01,
  /** GET /v1/merchants/:id/payments?date=<Shanghai today>&limit=50, with the merchant's key. */
  merchantList: 0.005,
} as const;

export type KindName = keyof typeof MIX_SHARES;

/** Share of payments sent with an unknown UID, expected to be declined with 402 unknown_card. */
export const UNKNOWN_CARD_SHARE = 0.01;

export interface SoakThresholds {
  /** Memory: the least-squares slope of the service's RSS over the last 80% of the run must be at most this, in MB per minute ... */
  rssSlopeMbPerMin: number;
  /**
   * ... unless the growth the fitted line gives over that window (slope × minutes) is at most this many MB: RSS swings by
   * several MB with every major GC, so over a short run the slope alone is noise. From about 5 minutes on, the slope decides.
   */
  rssNoiseMb: number;
  /** Memory: heap used right after a forced full GC, last sample minus first sample, at most this many MB. */
  heapGrowthMb: number;
  /** Latency: last minute's p99 at most this many times the first full minute's ... */
  p99Ratio: number;
  /** ... or at most this many ms above it (so a 3 ms p99 going to 5 ms is not a failure). */
  p99SlackMs: number;
}

export interface SoakOptions {
  /** A PostgreSQL server URL pointing at a maintenance database; the scratch database is made beside it. */
  serverUrl: string;
  /** Measured length of the soak, after the warm-up. */
  seconds: number;
  /** Unmeasured load at the full rate before the measured part (counted in the error and money checks, not in the figures). */
  warmupSeconds: number;
  /** Offered payments per second (SOAK_PAYMENT_RATE); null: half the capacity measured at the start. The other kinds follow MIX_SHARES. */
  paymentRate: number | null;
  /** Length of one sample interval. */
  sampleSeconds: number;
  /** A disbursement every this many seconds of measured time, the first at disburseFirstSecond (0 = none). */
  disburseEverySeconds: number;
  disburseFirstSecond: number;
  /** VACUUM (ANALYZE) of the tables updated in place this often (0 = never), standing in for autovacuum, which this machine's server has off. */
  vacuumEverySeconds: number;
  /** Allowance per resident per disbursement, in yuan. */
  disburseAmount: string;
  /** Heap after a forced full GC is sampled this often (60 s, or a quarter of a short run). */
  gcEverySeconds: number;
  /** Open requests at most; a request due while this many are open is not sent and counts as an error (the service fell behind). */
  maxInFlight: number;
  /** Sockets to the service (keep-alive); requests beyond them queue in the client, which counts in their latency. */
  sockets: number;
  /** A request unanswered after this long is a timeout. */
  timeoutMs: number;
  /** Payment cards (and residents), made through the API by bench/payments' fixture, and the merchants they pay. */
  cards: number;
  merchants: number;
  /** The door world from bench/access's seed: residents with active cards, with locked cards, and doors. */
  doorCards: number;
  doorLockedCards: number;
  doors: number;
  doorsPerKey: number;
  /** Distinct door checks (with their expected answers) cycled through. */
  doorCheckPool: number;
  thresholds: SoakThresholds;
  /** Extra `node` flags for the service. */
  serviceNodeArgs: string[];
}

export function readSoakOptions(env: NodeJS.ProcessEnv = process.env): SoakOptions {
  const seconds = positiveInt(env.SOAK_SECONDS, 600, 'SOAK_SECONDS');
  const rateText = env.SOAK_PAYMENT_RATE;
  const paymentRate = rateText ? positiveInt(rateText, 0, 'SOAK_PAYMENT_RATE') : null;
  return {
    serverUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    seconds,
    warmupSeconds: nonNegativeInt(env.SOAK_WARMUP_SECONDS, 10, 'SOAK_WARMUP_SECONDS'),
    paymentRate,
    sampleSeconds: positiveInt(env.SOAK_SAMPLE_SECONDS, 10, 'SOAK_SAMPLE_SECONDS'),
    disburseEverySeconds: nonNegativeInt(env.SOAK_DISBURSE_EVERY_SECONDS, 180, 'SOAK_DISBURSE_EVERY_SECONDS'),
    disburseFirstSecond: nonNegativeInt(env.SOAK_DISBURSE_FIRST_SECOND, 30, 'SOAK_DISBURSE_FIRST_SECOND'),
    vacuumEverySeconds: nonNegativeInt(env.SOAK_VACUUM_EVERY_SECONDS, 60, 'SOAK_VACUUM_EVERY_SECONDS'),
    disburseAmount: '5.00',
    gcEverySeconds: Math.max(5, Math.min(60, Math.floor(seconds / 4))),
    maxInFlight: positiveInt(env.SOAK_MAX_IN_FLIGHT, 2048, 'SOAK_MAX_IN_FLIGHT'),
    sockets: positiveInt(env.SOAK_SOCKETS, 256, 'SOAK_SOCKETS'),
    timeoutMs: 30_000,
    cards: positiveInt(env.SOAK_CARDS, 10_000, 'SOAK_CARDS'),
    merchants: 50,
    doorCards: positiveInt(env.SOAK_DOOR_CARDS, 10_000, 'SOAK_DOOR_CARDS'),
    doorLockedCards: 100,
    doors: 200,
    doorsPerKey: 100,
    doorCheckPool: 20_000,
    thresholds: {
      rssSlopeMbPerMin: positiveNumber(env.SOAK_MAX_RSS_SLOPE_MB_PER_MIN, 2, 'SOAK_MAX_RSS_SLOPE_MB_PER_MIN'),
      rssNoiseMb: positiveNumber(env.SOAK_RSS_NOISE_MB, 8, 'SOAK_RSS_NOISE_MB'),
      heapGrowthMb: positiveNumber(env.SOAK_MAX_HEAP_GROWTH_MB, 5, 'SOAK_MAX_HEAP_GROWTH_MB'),
      p99Ratio: positiveNumber(env.SOAK_MAX_P99_RATIO, 1.5, 'SOAK_MAX_P99_RATIO'),
      p99SlackMs: positiveNumber(env.SOAK_P99_SLACK_MS, 5, 'SOAK_P99_SLACK_MS'),
    },
    serviceNodeArgs: (env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
  };
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

function positiveNumber(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}
