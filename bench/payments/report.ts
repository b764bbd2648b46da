import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PgbenchResult } from '../ledger/pgbench';
import type { MachineFacts } from '../ledger/report';
import type { MoneyChecks, Reconciliation } from './checks';
import type { LoadResult } from './load';
import { resultsDir } from './paths';
import type { ProfileSummary } from './profile-summary';
import type { ServiceLogSummary } from './service';
import type { WaitSummary } from './waits';

export type MeasuredLoad = Omit<LoadResult, 'unanswered'> & {
  unanswered: number;
  reconciliation: Reconciliation;
  /** CPU time per approved payment (per answer in the refused scenario), in microseconds: what a payment costs each party, whatever the machine's other load. */
  cpuMicrosPerPayment: { service: number; postgres: number; autocannon: number };
  /** What the service's database sessions were doing (pg_stat_activity samples). */
  waits: WaitSummary;
};

export function cpuPerPayment(l: Pick<LoadResult, 'cpu' | 'approved' | 'answered' | 'seconds' | 'expectedStatus'>): MeasuredLoad['cpuMicrosPerPayment'] {
  // Per approved payment; per answer for a scenario that expects refusals.
  const perSecond = (l.expectedStatus === 201 ? l.approved : l.answered) / l.seconds;
  // percent of one core / payments per second = centi-seconds of CPU per payment; x 10,000 for microseconds.
  const us = (percent: number) => (perSecond > 0 ? Math.round((percent * 10_000) / perSecond) : NaN);
  return { service: us(l.cpu.servicePercent), postgres: us(l.cpu.postgresPercent), autocannon: us(l.cpu.benchPercent) };
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface PaymentsBenchResult {
  startedAt: string;
  options: { seconds: number; connections: number; rate: number; rateConnections: number; sweep: number[]; cards: number; merchants: number; serviceNodeArgs: string[]; server: string };
  machine: MachineFacts & { postgresSharedBuffers: string; postgresFsync: string; postgresAutovacuum: string };
  /** The code measured: HEAD and any uncommitted changes to the service's sources at the time of the run. */
  source: { commit: string | null; uncommittedServiceFiles: string[] };
  setup: { merchantsSeconds: number; cardsSeconds: number; topUpTotal: string };
  /** pgbench tpcb-like at the main connection count (the reference), then at each sweep count. */
  pgbench: PgbenchResult & { clientsRequested: number };
  pgbenchSweep: (PgbenchResult & { clientsRequested: number })[];
  spread: MeasuredLoad;
  hot: MeasuredLoad;
  /** The target 3 figure: the offered rate spread evenly over each second (see LoadScenario.staggered). */
  rate: MeasuredLoad;
  /** The same rate from one autocannon instance: every connection's quota is released at the top of each second. */
  rateAligned: MeasuredLoad;
  /** Payments refused by validation (400), no database work: the service's per-request floor. */
  floor: MeasuredLoad;
  sweep: MeasuredLoad[];
  /** The spread scenario again, with the service under V8's sampling profiler (1 ms), measured like the others. */
  profiled: MeasuredLoad | null;
  profile: ProfileSummary | null;
  ratioToPgbench: number;
  targets: Target[];
  money: MoneyChecks;
  serviceLogs: ServiceLogSummary;
  /** Everything that should make a reader distrust the figures: 5xx, socket errors, declines, failed checks. */
  alarms: string[];
}

export function evaluateTargets(r: Pick<PaymentsBenchResult, 'spread' | 'hot' | 'rate' | 'rateAligned' | 'pgbench'>): { targets: Target[]; ratio: number } {
  const ratio = Math.round((r.spread.approvedPerSecond / r.pgbench.tps) * 1000) / 1000;
  const latencyTarget = (name: string, l: MeasuredLoad): Target => {
    const achieved = l.answered / l.seconds;
    const sustained = achieved >= 0.95 * (l.offeredRate ?? 0);
    return {
      name,
      goal: `p99 < 25 ms at ${l.offeredRate}/s offered`,
      measured: `p99 ${l.latencyMs.p99.toFixed(2)} ms, ${achieved.toFixed(0)}/s answered${sustained ? '' : ' (rate NOT sustained)'}`,
      met: l.latencyMs.p99 < 25 && sustained,
    };
  };
  return {
    ratio,
    targets: [
      { name: '1a spread throughput', goal: '>= 3,000 approved/s', measured: `${r.spread.approvedPerSecond.toFixed(1)}/s`, met: r.spread.approvedPerSecond >= 3000 },
      { name: '1b spread vs pgbench', goal: '>= 1.5 x pgbench tps', measured: `${ratio.toFixed(3)} x (${r.pgbench.tps.toFixed(1)} tps)`, met: ratio >= 1.5 },
      { name: '2 one merchant', goal: '>= 2,000 approved/s', measured: `${r.hot.approvedPerSecond.toFixed(1)}/s`, met: r.hot.approvedPerSecond >= 2000 },
      latencyTarget('3 latency, rate spread over each second', r.rate),
      latencyTarget("3' latency, stock autocannon (bursts at each second)", r.rateAligned),
    ],
  };
}

/** Collects what should make anyone distrust a figure; printed loudly and kept in the JSON. */
export function alarmsOf(loads: MeasuredLoad[], money: MoneyChecks, logs: ServiceLogSummary): string[] {
  const alarms: string[] = [];
  for (const l of loads) {
    const fivexx = Object.entries(l.statusCounts).filter(([s]) => Number(s) >= 500);
    if (fivexx.length > 0) alarms.push(`${l.id}: ${fivexx.map(([s, n]) => `${n} x ${s}`).join(', ')}`);
    const other4xx = Object.entries(l.statusCounts).filter(([s]) => Number(s) >= 400 && Number(s) < 500 && s !== '402' && Number(s) !== l.expectedStatus);
    if (other4xx.length > 0) alarms.push(`${l.id}: ${other4xx.map(([s, n]) => `${n} x ${s}`).join(', ')}`);
    if (l.declined > 0) alarms.push(`${l.id}: ${l.declined} declines (402); none were expected`);
    if (l.errors > 0 || l.timeouts > 0) alarms.push(`${l.id}: ${l.errors} socket errors, ${l.timeouts} timeouts`);
    if (!l.reconciliation.ok) {
      const c = l.reconciliation;
      alarms.push(`${l.id}: database has ${c.dbApproved} approved (${c.dbApprovedAmount}) but the client accounts for ${c.clientApproved} (${c.clientApprovedAmount})`);
    }
  }
  if (!money.ok) alarms.push(`money checks FAILED: ${JSON.stringify({ ...money, verify: { ok: money.verify.ok, problems: money.verify.problems.slice(0, 5) } })}`);
  if (logs.errors > 0) alarms.push(`the service logged ${logs.errors} errors`);
  if (logs.warnings > 0) alarms.push(`the service logged ${logs.warnings} warnings`);
  return alarms;
}

export function printReport(r: PaymentsBenchResult): void {
  const m = r.machine;
  console.log('');
  console.log(`Payments bench, ${r.startedAt}: ${r.options.cards} cards, ${r.options.merchants} merchants, ${r.options.seconds} s per scenario`);
  console.log(`${m.cpuModel} x${m.cpuCount}, ${m.totalMemGiB} GiB, ${m.platform}, Node ${m.nodeVersion}`);
  console.log(`PostgreSQL ${m.postgresVersion}, synchronous_commit=${m.synchronousCommit}, fsync=${m.postgresFsync}, shared_buffers=${m.postgresSharedBuffers}, max_connections=${m.maxConnections}, autovacuum=${m.postgresAutovacuum}`);
  console.log(`load average at start: ${m.loadAverageAtStart.join(' ')}; source ${r.source.commit?.slice(0, 12) ?? '?'}${r.source.uncommittedServiceFiles.length ? ` + ${r.source.uncommittedServiceFiles.length} uncommitted service files` : ''}`);
  console.log('');
  const loads = [r.spread, r.hot, r.rate, r.rateAligned, r.floor, ...r.sweep, ...(r.profiled ? [r.profiled] : [])];
  printTable(
    ['scenario', 'conns', 'answered/s', 'approved/s', 'approved', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'unexpected', 'errors', 'reconciled', 'service cpu%', 'postgres cpu%', 'autocannon cpu%', 'machine busy%', 'other cpu%', 'service us/pay', 'pg us/pay'],
    loads.map((l) => [
      l.id,
      String(l.connections) + (l.offeredRate ? ` @${l.offeredRate}/s` : ''),
      (l.answered / l.seconds).toFixed(1),
      l.approvedPerSecond.toFixed(1),
      String(l.approved),
      l.latencyMs.p50.toFixed(2),
      l.latencyMs.p90.toFixed(2),
      l.latencyMs.p99.toFixed(2),
      l.latencyMs.max.toFixed(2),
      String(l.answered - (l.statusCounts[String(l.expectedStatus)] ?? 0)),
      String(l.errors + l.timeouts),
      l.reconciliation.ok ? 'ok' : 'NO',
      l.cpu.servicePercent.toFixed(0),
      l.cpu.postgresPercent.toFixed(0),
      l.cpu.benchPercent.toFixed(0),
      `${l.cpu.machineBusyPercent?.toFixed(0) ?? '-'}/${l.cpu.cores * 100}`,
      l.cpu.otherPercent?.toFixed(0) ?? '-',
      String(l.cpuMicrosPerPayment.service),
      String(l.cpuMicrosPerPayment.postgres),
    ]),
  );
  console.log('');
  console.log('CPU not in the service, PostgreSQL or autocannon (percent of one core):');
  for (const l of loads) {
    const others = l.cpu.topOthers.map((o) => `${o.comm}(${o.pid}) ${o.percent}`).join(', ');
    console.log(
      `  ${l.id}: other databases' PostgreSQL backends ${round1(l.cpu.postgresAllPercent - l.cpu.postgresPercent)}, irq+softirq ${l.cpu.irqPercent ?? '-'}, steal ${l.cpu.stealPercent ?? '-'}; ` +
        `busiest other processes: ${others || 'none'}`,
    );
  }
  console.log('');
  console.log("The service's database sessions (pg_stat_activity every 100 ms; % of busy session samples):");
  for (const l of loads) {
    const shares = Object.entries(l.waits.shares)
      .slice(0, 5)
      .map(([k, v]) => `${k} ${v}%`)
      .join(', ');
    console.log(`  ${l.id}: ${l.waits.averageInTransaction} sessions in a transaction on average; ${shares || 'none busy'}`);
  }
  console.log('');
  for (const p of [r.pgbench, ...r.pgbenchSweep]) {
    const capped = p.clients !== p.clientsRequested ? ` (asked for ${p.clientsRequested}; capped by free connection slots)` : '';
    console.log(`pgbench tpcb-like -c ${p.clients}${capped}: ${p.tps.toFixed(1)} tps, latency avg ${p.latencyAverageMs ?? '?'} ms, failed ${p.failed ?? '?'}`);
  }
  console.log(`  ${r.pgbench.command}  [scale ${r.pgbench.scale}, ${r.pgbench.version}]`);
  console.log('');
  console.log(`spread approved/s / pgbench tps = ${r.ratioToPgbench.toFixed(3)}`);
  console.log('');
  console.log('Targets:');
  for (const t of r.targets) console.log(`  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.name}: ${t.goal}; measured ${t.measured}`);
  console.log('');
  const mc = r.money;
  console.log(
    `money: ${mc.approvedPayments} approved payments (${mc.approvedAmount}) = ${mc.approvedKeys} stored 201 outcomes; merchants hold ${mc.merchantBalances}; ` +
      `wallets hold ${mc.cashBalances} of ${mc.topUpTotal} topped up; ${mc.declinedPayments} declines; ${mc.ok ? 'ok' : 'FAILED'}`,
  );
  const v = mc.verify;
  console.log(`GET /v1/ledger/verify: ${v.ok ? 'ok' : 'PROBLEMS'} in ${v.seconds.toFixed(2)} s; ${v.transactions} transactions, ${v.entries} entries, trial balance ${v.trialBalance}, pending seal ${v.pendingSeal}`);
  for (const l of loads) {
    const c = l.reconciliation;
    console.log(`  ${l.id}: ${c.dbApproved} approved in the database = ${l.approved} answered 201 + ${c.unansweredApproved} of ${c.unanswered} unanswered at stop; amounts ${c.dbApprovedAmount} vs ${c.clientApprovedAmount}: ${c.ok ? 'ok' : 'MISMATCH'}`);
  }
  if (r.profile) {
    const p = r.profile;
    console.log('');
    console.log(`service CPU profile (${p.file}): main thread busy ${p.busySeconds} s of ${p.wallSeconds} s (${p.busyPercentOfWall}%); the service used ${r.profiled?.cpu.servicePercent ?? '?'}% of a core by /proc`);
    console.log(`  (${p.note})`);
    console.log('  self time by module:');
    for (const row of p.byModule.slice(0, 15)) console.log(`    ${row.percent.toFixed(1).padStart(5)}%  ${row.name}`);
    console.log('  time with the module on the stack (inclusive):');
    for (const row of p.inclusiveByModule.slice(0, 15)) console.log(`    ${row.percent.toFixed(1).padStart(5)}%  ${row.name}`);
    console.log('  self time by function:');
    for (const row of p.selfByFunction.slice(0, 20)) console.log(`    ${row.percent.toFixed(1).padStart(5)}%  ${row.name}`);
  }
  if (r.alarms.length > 0) {
    console.log('');
    console.log('!!! ALARMS !!!');
    for (const a of r.alarms) console.log(`  ${a}`);
    for (const l of loads) for (const s of l.otherSamples) console.log(`  ${l.id} sample: ${s}`);
    for (const s of r.serviceLogs.samples) console.log(`  service log: ${s}`);
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Writes the result under bench/results/ (gitignored) and returns the path. */
export function writeResult(r: PaymentsBenchResult, stamp: string): string {
  const path = join(resultsDir(), `payments-${stamp}.json`);
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}
