/** What a disbursement bench run can be told from outside; the only place this bench reads the environment. */
export interface DisburseBenchOptions {
  /** A PostgreSQL server URL pointing at a maintenance database; scratch databases are made beside it. */
  serverUrl: string;
  /** Eligible residents, each with an active card (the figure: 160,000). */
  residents: number;
  /** Further residents who are too young for the program (they make the eligibility query scan more). */
  ineligible: number;
  /** Payments per second sent to the service around the disbursement (open loop). */
  paymentRate: number;
  /** Cards, taken from the seeded residents, topped up over HTTP and used by the payment load. */
  paymentCards: number;
  /** Seconds of payment load before the disbursement starts and after it answers. */
  paymentSecondsAround: number;
  /** Run the in-process statement breakdown (a second period, timed per statement, then EXPLAIN ANALYZE). */
  breakdown: boolean;
}

export function readDisburseOptions(env: NodeJS.ProcessEnv = process.env): DisburseBenchOptions {
  return {
    serverUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    residents: positiveInt(env.BENCH_RESIDENTS, 160_000, 'BENCH_RESIDENTS'),
    ineligible: nonNegativeInt(env.BENCH_INELIGIBLE, 0, 'BENCH_INELIGIBLE'),
    paymentRate: nonNegativeInt(env.BENCH_PAYMENT_RATE, 100, 'BENCH_PAYMENT_RATE'),
    paymentCards: positiveInt(env.BENCH_PAYMENT_CARDS, 20, 'BENCH_PAYMENT_CARDS'),
    paymentSecondsAround: positiveInt(env.BENCH_PAYMENT_SECONDS_AROUND, 3, 'BENCH_PAYMENT_SECONDS_AROUND'),
    breakdown: (env.BENCH_BREAKDOWN ?? '1') !== '0',
  };
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  const n = nonNegativeInt(text, fallback, name);
  if (n === 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function nonNegativeInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}
