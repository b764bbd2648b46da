import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { inTransaction } from '../../src/db/transaction';
import { ledgerFor } from '../../src/ledger/ledger-for';
import type { Transfer } from '../../ledger/types';
import { startCpuMeter, type CpuUse } from './cpu';
import { pick, pickOther, transfer, type Fixture } from './fixture';

const AMOUNT = '0.01';
const BATCH = 50;
/** Unmeasured time before each scenario, so connection set-up and JIT warm-up are not in its figures. */
const WARMUP_MS = 1_000;

export interface Scenario {
  name: string;
  /** The transfers one database transaction posts. */
  nextBatch(fixture: Fixture): Transfer[];
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'spread, 1 transfer per txn',
    nextBatch: (f) => {
      const from = pick(f.wallets);
      return [transfer(from, pickOther(f.wallets, from), AMOUNT)];
    },
  },
  {
    name: 'hot account, 1 transfer per txn',
    nextBatch: (f) => [transfer(pick(f.wallets), f.hotMerchant, AMOUNT)],
  },
  {
    name: `spread, batched ${BATCH} transfers per txn`,
    nextBatch: (f) => Array.from({ length: BATCH }, () => transfer(pick(f.wallets), pick(f.merchants), AMOUNT)),
  },
  {
    name: `hot, batched ${BATCH} per txn`,
    nextBatch: (f) => Array.from({ length: BATCH }, () => transfer(pick(f.wallets), f.hotMerchant, AMOUNT)),
  },
];

export interface ScenarioResult {
  name: string;
  seconds: number;
  transactions: number;
  transfers: number;
  transfersPerSecond: number;
  transactionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Transfers the ledger refused (e.g. insufficient funds): none expected, wallets are well funded. */
  declines: number;
  /** Transactions that failed even after `inTransaction`'s retries. */
  errors: number;
  /** Extra attempts `inTransaction` made after serialization failures or deadlocks. */
  retries: number;
  errorSamples: string[];
  cpu: CpuUse;
}

interface Tally {
  latencies: number[];
  transfers: number;
  declines: number;
  errors: number;
  retries: number;
  errorSamples: Set<string>;
}

/** Runs `clients` writers for `seconds`, each posting one batch per database transaction, back to back. */
export async function runScenario(knex: Knex, fixture: Fixture, scenario: Scenario, clients: number, seconds: number): Promise<ScenarioResult> {
  const warmup = newTally();
  await writers(knex, fixture, scenario, clients, WARMUP_MS, warmup);
  if (warmup.errors > 0) console.warn(`  warm-up of "${scenario.name}": ${warmup.errors} errors, e.g. ${[...warmup.errorSamples][0]}`);

  const tally = newTally();
  const started = performance.now();
  const cpuMeter = startCpuMeter();
  await writers(knex, fixture, scenario, clients, seconds * 1000, tally);
  // Writers finish the transaction they are in when time runs out, so measure to the last commit.
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMeter();

  const sorted = Float64Array.from(tally.latencies).sort();
  return {
    name: scenario.name,
    seconds: round(elapsed, 3),
    transactions: tally.latencies.length,
    transfers: tally.transfers,
    transfersPerSecond: round(tally.transfers / elapsed, 1),
    transactionsPerSecond: round(tally.latencies.length / elapsed, 1),
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    maxMs: round(sorted[sorted.length - 1] ?? 0, 2),
    declines: tally.declines,
    errors: tally.errors,
    retries: tally.retries,
    errorSamples: [...tally.errorSamples],
    cpu,
  };
}

async function writers(knex: Knex, fixture: Fixture, scenario: Scenario, clients: number, durationMs: number, tally: Tally): Promise<void> {
  const deadline = performance.now() + durationMs;
  const writer = async () => {
    while (performance.now() < deadline) {
      // Built outside the transaction so a retried attempt posts the very same transfers.
      const batch = scenario.nextBatch(fixture);
      const t0 = performance.now();
      let attempts = 0;
      try {
        const results = await inTransaction(knex, (trx) => {
          attempts += 1;
          return ledgerFor(trx).post(batch);
        });
        for (const r of results) {
          if (r.ok) tally.transfers += 1;
          else tally.declines += 1;
        }
      } catch (err) {
        tally.errors += 1;
        if (tally.errorSamples.size < 5) tally.errorSamples.add(describeError(err));
      }
      tally.latencies.push(performance.now() - t0);
      tally.retries += Math.max(0, attempts - 1);
    }
  };
  await Promise.all(Array.from({ length: clients }, writer));
}

function newTally(): Tally {
  return { latencies: [], transfers: 0, declines: 0, errors: 0, retries: 0, errorSamples: new Set() };
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e.code ?? 'no code'}: ${e.message ?? String(err)}`.slice(0, 300);
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
