import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { VerifyReport } from '../../ledger/verify';
import type { PgbenchResult } from './pgbench';
import type { ScenarioResult } from './scenarios';

export interface MachineFacts {
  cpuModel: string;
  cpuCount: number;
  totalMemGiB: number;
  platform: string;
  nodeVersion: string;
  postgresVersion: string;
  synchronousCommit: string;
  maxConnections: string;
  /** 1/5/15-minute load when the run started: other work on the machine skews every figure. */
  loadAverageAtStart: number[];
}

export interface BenchResult {
  startedAt: string;
  options: { secondsPerScenario: number; clients: number; server: string };
  machine: MachineFacts;
  setup: { wallets: number; merchants: number; seconds: number };
  scenarios: (ScenarioResult & { ratioToPgbench: number })[];
  pgbench: PgbenchResult;
  sealer: { sealed: number; seconds: number; perSecond: number };
  verify: { seconds: number } & VerifyReport;
  /** Deadlocks PostgreSQL counted in the ledger database over the whole run (retried by `inTransaction`). */
  deadlocks: number;
}

export function machineFacts(server: { serverVersion: string; synchronousCommit: string; maxConnections: string }): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    nodeVersion: process.version,
    postgresVersion: server.serverVersion,
    synchronousCommit: server.synchronousCommit,
    maxConnections: server.maxConnections,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function printReport(r: BenchResult): void {
  const m = r.machine;
  console.log('');
  console.log(`Ledger bench, ${r.startedAt}: ${r.options.clients} clients, ${r.options.secondsPerScenario} s per scenario`);
  console.log(`${m.cpuModel} x${m.cpuCount}, ${m.totalMemGiB} GiB, ${m.platform}, Node ${m.nodeVersion}, PostgreSQL ${m.postgresVersion}, synchronous_commit=${m.synchronousCommit}`);
  console.log(`load average at start: ${m.loadAverageAtStart.join(' ')}`);
  console.log('');
  const header = ['scenario', 'transfers/s', 'txns/s', 'p50 ms', 'p99 ms', 'max ms', 'declines', 'errors', 'retries', 'x pgbench', 'node cpu%', 'machine busy%'];
  const rows = r.scenarios.map((s) => [
    s.name,
    s.transfersPerSecond.toFixed(1),
    s.transactionsPerSecond.toFixed(1),
    s.p50Ms.toFixed(2),
    s.p99Ms.toFixed(2),
    s.maxMs.toFixed(2),
    String(s.declines),
    String(s.errors),
    String(s.retries),
    s.ratioToPgbench.toFixed(3),
    s.cpu.clientPercent.toFixed(1),
    s.cpu.machineBusyPercent?.toFixed(1) ?? '-',
  ]);
  printTable(header, rows);
  for (const s of r.scenarios) for (const e of s.errorSamples) console.log(`  error in "${s.name}": ${e}`);
  console.log('');
  const p = r.pgbench;
  console.log(`pgbench tpcb-like: ${p.tps.toFixed(1)} tps (without initial connection time), latency avg ${p.latencyAverageMs ?? '?'} ms, failed ${p.failed ?? '?'}, machine busy ${p.cpu.machineBusyPercent ?? '-'}%`);
  console.log(`  ${p.command}  [scale ${p.scale}, ${p.version}]`);
  console.log('');
  console.log(`sealer catch-up: ${r.sealer.sealed} transactions sealed in ${r.sealer.seconds.toFixed(2)} s (${r.sealer.perSecond.toFixed(0)}/s)`);
  const v = r.verify;
  console.log(
    `verify: ${v.ok ? 'ok' : 'PROBLEMS'} in ${v.seconds.toFixed(2)} s; ${v.transactions} transactions, ${v.entries} entries, ` +
      `trial balance ${v.trialBalance}, chain length ${v.chainLength}, pending seal ${v.pendingSeal}`,
  );
  console.log(`deadlocks PostgreSQL counted in the ledger database: ${r.deadlocks}`);
  for (const problem of v.problems.slice(0, 20)) console.log(`  ${problem.code}: ${problem.message} ${problem.accountId ?? problem.transactionId ?? ''}`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Writes the result under bench/results/ (gitignored) and returns the path. */
export function writeResult(r: BenchResult, stamp: string): string {
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `ledger-${stamp}.json`);
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}

/** The compiled bench lives in dist/bench/ledger, the source in bench/ledger: find the package either way. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve('.');
    dir = parent;
  }
  return dir;
}
