import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineFacts } from '../ledger/report';
import { resultsDir } from '../payments/paths';
import type { ServiceLogSummary } from '../payments/service';
import type { LoadResult } from './load';
import type { ProfileBreakdown } from './profile-breakdown';
import type { RevocationResult } from './revocation';

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Round {
  bare: LoadResult;
  service: LoadResult;
  /** Decisions/s (200 answers) ÷ the bare server's answers/s, in this round. */
  ratio: number;
}

export interface AccessBenchResult {
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  machine: MachineFacts & { cpuModelFromProcCpuinfo: string; loadAverageAtEnd: number[] };
  source: { commit: string | null; uncommittedServiceFiles: string[] };
  seed: { rows: Record<string, number>; seconds: number; doorKeys: number; doorsPerKey: number };
  mix: Record<string, number>;
  /** Answers of a sample of the mix, one by one, compared with the expected bodies before any load. */
  verification: { checked: number; mismatched: number; samples: string[] };
  rounds: Round[];
  /** Medians over the rounds. */
  decisionsPerSecond: number;
  barePerSecond: number;
  ratio: number;
  /** The offered rate against the bare server: the latency this load generator and machine give a server that does nothing. */
  rateBare: LoadResult;
  rate: LoadResult;
  rateAlignedBare: LoadResult | null;
  rateAligned: LoadResult | null;
  warn: LoadResult | null;
  /** Rows in access_events against the checks answered, after the throughput runs: every check must be logged. */
  accessLog: { rows: number; answered: number; unansweredAtStop: number; ok: boolean };
  /** Look-ups of api_keys rows (index + sequential scans, from pg_stat_user_tables) during each service run: the key cache's misses. */
  keyLookups: Record<string, { total: number; perSecond: number }>;
  revocation: RevocationResult;
  profiled: LoadResult | null;
  profile: ProfileBreakdown | null;
  serviceLogs: Record<string, ServiceLogSummary & { bytes: number; kept: string }>;
  targets: Target[];
  alarms: string[];
}

export function decisionsPerSecond(l: LoadResult): number {
  return Math.round(((l.statusCounts['200'] ?? 0) / l.seconds) * 10) / 10;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function evaluateTargets(r: Pick<AccessBenchResult, 'decisionsPerSecond' | 'ratio' | 'barePerSecond' | 'rate' | 'rateBare' | 'rateAligned' | 'rateAlignedBare' | 'revocation'>): Target[] {
  const achieved = r.rate.answered / r.rate.seconds;
  const sustained = achieved >= 0.95 * (r.rate.offeredRate ?? 0);
  const steady = r.rate.steadyLatencyMs.p99;
  const targets: Target[] = [
    { name: '6a throughput', goal: '>= 10,000 decisions/s', measured: `${r.decisionsPerSecond.toFixed(0)}/s (median of rounds)`, met: r.decisionsPerSecond >= 10_000 },
    { name: '6b vs bare node:http', goal: '>= 0.6 x bare', measured: `${r.ratio.toFixed(3)} x (bare ${r.barePerSecond.toFixed(0)}/s)`, met: r.ratio >= 0.6 },
    {
      name: '6c latency',
      goal: `p99 < 5 ms at ${r.rate.offeredRate}/s offered`,
      measured:
        `p99 ${steady.toFixed(2)} ms from the 2nd second (${r.rate.latencyMs.p99.toFixed(2)} over the whole run; bare server ${r.rateBare.steadyLatencyMs.p99.toFixed(2)} / ${r.rateBare.latencyMs.p99.toFixed(2)}), ` +
        `${achieved.toFixed(0)}/s answered${sustained ? '' : ' (rate NOT sustained)'}`,
      met: steady < 5 && sustained,
    },
  ];
  if (r.rateAligned) {
    const a = r.rateAligned;
    const b = r.rateAlignedBare;
    targets.push({
      name: "6c' latency, stock autocannon",
      goal: `p99 < 5 ms at ${a.offeredRate}/s (bursts at each second)`,
      measured: `p99 ${a.steadyLatencyMs.p99.toFixed(2)} ms from the 2nd second (${a.latencyMs.p99.toFixed(2)} whole run${b ? `; bare ${b.steadyLatencyMs.p99.toFixed(2)} / ${b.latencyMs.p99.toFixed(2)}` : ''})`,
      met: a.steadyLatencyMs.p99 < 5,
    });
  }
  const rv = r.revocation;
  targets.push({
    name: '6d revocation (reported)',
    goal: `lock answer on A -> first deny on B, ${rv.trials} trials`,
    measured: `median ${rv.denyMs.p50.toFixed(2)} ms, max ${rv.denyMs.max.toFixed(2)} ms (${rv.completed.length} completed)`,
    met: rv.completed.length === rv.trials,
  });
  return targets;
}

export function alarmsOf(r: AccessBenchResult): string[] {
  const alarms: string[] = [];
  const loads = [...r.rounds.flatMap((x) => [x.bare, x.service]), r.rateBare, r.rate, ...(r.rateAlignedBare ? [r.rateAlignedBare] : []), ...(r.rateAligned ? [r.rateAligned] : []), ...(r.warn ? [r.warn] : []), ...(r.profiled ? [r.profiled] : [])];
  for (const l of loads) {
    const other = Object.entries(l.statusCounts).filter(([s]) => s !== '200');
    if (other.length > 0) alarms.push(`${l.id}: ${other.map(([s, n]) => `${n} x ${s}`).join(', ')}`);
    if (l.errors > 0 || l.timeouts > 0) alarms.push(`${l.id}: ${l.errors} socket errors, ${l.timeouts} timeouts`);
    if (l.answers && l.answers.mismatched > 0) alarms.push(`${l.id}: ${l.answers.mismatched} of ${l.answers.checked} answers differ from the expected: ${l.answers.samples.join(' | ')}`);
  }
  if (r.verification.mismatched > 0) alarms.push(`verification: ${r.verification.mismatched} of ${r.verification.checked} answers differ: ${r.verification.samples.join(' | ')}`);
  if (!r.accessLog.ok) alarms.push(`access log: ${r.accessLog.rows} rows for ${r.accessLog.answered} answered checks (+ up to ${r.accessLog.unansweredAtStop} cut off at stop)`);
  if (r.revocation.failed.length > 0) alarms.push(`revocation: ${r.revocation.failed.length} failed trials: ${r.revocation.failed.slice(0, 3).join(' | ')}`);
  if (r.revocation.sameInstanceDenied !== r.revocation.completed.length) alarms.push(`revocation: instance A itself allowed ${r.revocation.completed.length - r.revocation.sameInstanceDenied} locked cards right after the lock answered`);
  for (const [name, s] of Object.entries(r.serviceLogs)) {
    if (s.errors > 0) alarms.push(`service ${name} logged ${s.errors} errors: ${s.samples.slice(0, 2).join(' | ')}`);
    if (s.warnings > 0) alarms.push(`service ${name} logged ${s.warnings} warnings: ${s.samples.slice(0, 2).join(' | ')}`);
  }
  return alarms;
}

export function printReport(r: AccessBenchResult): void {
  const m = r.machine;
  console.log('');
  console.log(`Door access bench, ${r.startedAt}: ${r.seed.rows.activeCards} active + ${r.seed.rows.lockedCards} locked cards, ${r.seed.rows.doors} doors, ${r.seed.rows.grants} grants`);
  console.log(`${m.cpuModelFromProcCpuinfo} x${m.cpuCount}, ${m.totalMemGiB} GiB, ${m.platform}, Node ${m.nodeVersion}, PostgreSQL ${m.postgresVersion}`);
  console.log(`load average at start ${m.loadAverageAtStart.join(' ')}, at end ${m.loadAverageAtEnd.join(' ')}; source ${r.source.commit?.slice(0, 12) ?? '?'}${r.source.uncommittedServiceFiles.length ? ` + ${r.source.uncommittedServiceFiles.length} uncommitted service files` : ''}`);
  console.log('');
  const loads = [...r.rounds.flatMap((x) => [x.bare, x.service]), r.rateBare, r.rate, ...(r.rateAlignedBare ? [r.rateAlignedBare] : []), ...(r.rateAligned ? [r.rateAligned] : []), ...(r.warn ? [r.warn] : []), ...(r.profiled ? [r.profiled] : [])];
  table(
    ['run', 'conns', 'answers/s', 'decisions/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 2nd s on', '>100ms', '>1s', 'ac loop max', 'non-200', 'errors', 'server cpu%', 'autocannon cpu%', 'pg cpu%', 'machine%', 'other%', 'server us/ans', 'ac us/ans'],
    loads.map((l) => [
      l.id,
      `${l.connections}${l.pipelining > 1 ? `x${l.pipelining}` : ''}${l.offeredRate ? ` @${l.offeredRate}/s` : ''}`,
      l.perSecond.toFixed(0),
      l.target === 'service' ? decisionsPerSecond(l).toFixed(0) : '-',
      l.latencyMs.p50.toFixed(2),
      l.latencyMs.p90.toFixed(2),
      l.latencyMs.p99.toFixed(2),
      l.latencyMs.max.toFixed(2),
      l.steadyLatencyMs.p99.toFixed(2),
      String(l.latencyMs.over100ms),
      String(l.latencyMs.over1s),
      l.loadGeneratorLoopDelayMs.max.toFixed(0),
      String(l.answered - (l.statusCounts['200'] ?? 0)),
      String(l.errors + l.timeouts),
      l.cpu.servicePercent.toFixed(0),
      l.cpu.benchPercent.toFixed(0),
      l.cpu.postgresPercent.toFixed(0),
      `${l.cpu.machineBusyPercent?.toFixed(0) ?? '-'}/${l.cpu.cores * 100}`,
      l.cpu.otherPercent?.toFixed(0) ?? '-',
      String(l.cpuMicrosPerAnswer.server),
      String(l.cpuMicrosPerAnswer.loadGenerator),
    ]),
  );
  console.log('');
  console.log(`rounds (service ÷ bare): ${r.rounds.map((x) => x.ratio.toFixed(3)).join(', ')}; medians: ${r.decisionsPerSecond.toFixed(0)} decisions/s, bare ${r.barePerSecond.toFixed(0)}/s, ratio ${r.ratio.toFixed(3)}`);
  console.log(`answers checked before the load: ${r.verification.checked - r.verification.mismatched}/${r.verification.checked} as expected; during the rate run: ${r.rate.answers ? `${r.rate.answers.checked - r.rate.answers.mismatched}/${r.rate.answers.checked}` : '-'}`);
  console.log(`api_keys look-ups per second (key cache misses, all instances): ${Object.entries(r.keyLookups).map(([id, k]) => `${id} ${k.perSecond}`).join(', ')}`);
  console.log(`access log: ${r.accessLog.rows} rows for ${r.accessLog.answered} answered checks (+ ${r.accessLog.unansweredAtStop} possibly cut off): ${r.accessLog.ok ? 'ok' : 'NOT OK'}`);
  const rv = r.revocation;
  console.log(
    `revocation (lock answered on A -> first deny on B), ${rv.completed.length}/${rv.trials} trials: median ${rv.denyMs.p50.toFixed(2)} ms, p90 ${rv.denyMs.p90.toFixed(2)}, max ${rv.denyMs.max.toFixed(2)}, min ${rv.denyMs.min.toFixed(2)}; ` +
      `denied on the first poll ${rv.deniedOnFirstPoll}; A denied at once ${rv.sameInstanceDenied}; lock call median ${rv.lockMs.p50.toFixed(2)} ms, max ${rv.lockMs.max.toFixed(2)}; one check round trip median ${rv.checkRoundTripMs.p50.toFixed(3)} ms`,
  );
  console.log('');
  console.log('other processes (percent of one core) per run:');
  for (const l of loads) console.log(`  ${l.id}: ${l.cpu.topOthers.map((o) => `${o.comm}(${o.pid}) ${o.percent}`).join(', ') || 'none'}; irq ${l.cpu.irqPercent ?? '-'}, steal ${l.cpu.stealPercent ?? '-'}`);
  if (r.profile) {
    const p = r.profile;
    console.log('');
    console.log(`service CPU profile during ${r.profiled?.id}: ${p.requests} answers, main thread busy ${p.busySeconds} of ${p.wallSeconds} s = ${p.busyUsPerRequest} us per answer`);
    table(['layer', 'ms', '%', 'us/answer'], p.layers.map((l) => [l.layer, String(l.ms), l.percent.toFixed(1), l.usPerRequest.toFixed(1)]));
    console.log('');
    table(['with it on the stack', 'ms', '%', 'us/answer'], p.inclusive.map((l) => [l.name, String(l.ms), l.percent.toFixed(1), l.usPerRequest.toFixed(1)]));
    console.log('');
    table(['self', 'ms', '%', 'us/answer'], p.self.slice(0, 20).map((l) => [l.name, String(l.ms), l.percent.toFixed(1), l.usPerRequest.toFixed(1)]));
  }
  console.log('');
  table(['target', 'goal', 'measured', ''], r.targets.map((t) => [t.name, t.goal, t.measured, t.met ? 'met' : 'NOT MET']));
  if (r.alarms.length > 0) {
    console.log('\n!!! ALARMS !!!');
    for (const a of r.alarms) console.log(`  ${a}`);
  }
}

export function writeResult(r: AccessBenchResult, stamp: string): string {
  const file = join(resultsDir(), `access-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
