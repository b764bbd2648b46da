import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineFacts } from '../ledger/report';
import { resultsDir } from '../payments/paths';
import type { ServiceLogSummary } from '../payments/service';
import type { SoakCapacity } from './capacity';
import type { SoakMoney } from './checks';
import type { KindName } from './options';
import type { HeapAfterGc } from './sampler';
import type { Check, IntervalRow, KindFigures, LatencyVerdict, MemoryVerdict, MinuteRow } from './verdict';

export interface Disbursement {
  /** Measured seconds when it was asked for, and how long its answer took. */
  at: number;
  ms: number;
  period: string;
  ok: boolean;
  recipients?: number;
  total?: string;
  error?: string;
}

export interface SoakResult {
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  machine: MachineFacts & { loadAverageAtEnd: number[] };
  source: { commit: string | null; uncommittedServiceFiles: string[] };
  setup: Record<string, unknown>;
  /** The capacities measured at the start (null when SOAK_PAYMENT_RATE set the rate). */
  capacity: SoakCapacity | null;
  mix: { shares: Record<KindName, number>; ratesPerSecond: Record<KindName, number>; unknownCardShare: number; disburseEverySeconds: number; disburseFirstSecond: number };
  /** Whole-phase figures per kind: the warm-up, the measured part, and answers that came after it (draining). */
  totals: { warmup: Record<string, KindFigures>; measured: Record<string, KindFigures>; tail: Record<string, KindFigures> };
  intervals: IntervalRow[];
  minutes: MinuteRow[];
  heapAfterGc: HeapAfterGc[];
  disbursements: Disbursement[];
  /** The stand-in for autovacuum: when each VACUUM (ANALYZE) started (measured seconds) and how long it took. */
  vacuums: { at: number; ms: number }[];
  client: { maxInFlightSeen: number; maxBacklog: number; openAtStop: number; unansweredAfterDrain: number; samples: string[]; sampleFailures: string[] };
  money: SoakMoney | null;
  serviceLogs: ServiceLogSummary;
  verdict: { memory: MemoryVerdict; latency: LatencyVerdict; checks: Check[]; pass: boolean };
}

const KIND_ORDER: KindName[] = ['payment', 'doorCheck', 'paymentRead', 'topUp', 'refund', 'merchantList'];

export function printReport(r: SoakResult): void {
  const o = r.options as { seconds: number; paymentRate: number; paymentRateSource: string; warmupSeconds: number; sampleSeconds: number };
  const m = r.machine;
  console.log('');
  console.log(`Soak, ${r.startedAt}: ${o.seconds} s measured after ${o.warmupSeconds} s warm-up, ${o.paymentRate} payments/s offered, ${o.paymentRateSource} (${sum(Object.values(r.mix.ratesPerSecond)).toFixed(1)} requests/s in all)`);
  console.log(`${m.cpuModel} x${m.cpuCount}, ${m.totalMemGiB} GiB, Node ${m.nodeVersion}, PostgreSQL ${m.postgresVersion}; load average at start ${m.loadAverageAtStart.join(' ')}, at end ${m.loadAverageAtEnd.join(' ')}`);
  console.log(`commit ${r.source.commit ?? '?'}${r.source.uncommittedServiceFiles.length ? ` with uncommitted changes in ${r.source.uncommittedServiceFiles.join(', ')}` : ''}`);

  console.log(`\nEvery ${o.sampleSeconds} s (latency in ms; "bad" = unexpected answers + errors + timeouts + dropped; D = a disbursement ran; CPU in % of one core):`);
  table(
    ['t s', 'ans/s', 'pay/s', 'pay p50', 'pay p99', 'door p99', 'all p99', 'bad', 'RSS MB', 'heap MB', 'loop p99', 'loop max', 'svc%', 'pg%', 'bench%', 'other%', 'busy', 'open', ''],
    r.intervals.map((i) => {
      const s = i.sample;
      const pay = i.kinds.payment;
      return [
        String(i.t),
        i.all.perSecond.toFixed(0),
        (pay?.perSecond ?? 0).toFixed(0),
        fmt(pay?.latencyMs.p50),
        fmt(pay?.latencyMs.p99),
        fmt(i.kinds.doorCheck?.latencyMs.p99),
        fmt(i.all.latencyMs.p99),
        String(i.all.unexpected + i.all.errors + i.all.timeouts + i.all.dropped),
        mbText(s?.metrics?.residentBytes ?? s?.procRssBytes),
        mbText(s?.metrics?.heapUsedBytes),
        fmt(s?.metrics?.loopDelayP99Ms),
        fmt(s?.metrics?.loopDelayMaxMs),
        String(s?.cpu.servicePercent ?? '-'),
        String(s?.cpu.postgresPercent ?? '-'),
        String(s?.cpu.benchPercent ?? '-'),
        String(s?.cpu.otherPercent ?? '-'),
        s?.cpu.machineBusyPercent === null || s === null ? '-' : `${s.cpu.machineBusyPercent}/${s.cpu.cores * 100}`,
        String(s?.inFlight ?? '-'),
        i.disbursement ? 'D' : '',
      ];
    }),
  );

  console.log('\nPer minute (p50/p99 leave out intervals with a disbursement; "p99 w/ D" keeps them; heap after GC = right after a forced full GC at or near the minute\'s end):');
  table(
    ['minute', 'ans/s', 'pay/s', 'pay p50', 'pay p99', 'door p99', 'all p99', 'all p99 w/ D', 'RSS MB', 'heap MB', 'heap after GC MB'],
    r.minutes.map((x) => [
      `${x.minute}${x.intervals * o.sampleSeconds < 60 ? ` (${x.intervals * o.sampleSeconds} s)` : ''}`,
      x.answeredPerSecond.toFixed(0),
      x.paymentsPerSecond.toFixed(0),
      fmt(x.p50.payment),
      fmt(x.p99.payment),
      fmt(x.p99.doorCheck),
      fmt(x.p99.all),
      fmt(x.p99WithDisbursements.all),
      fmt(x.rssMb, 1),
      fmt(x.heapUsedMb, 1),
      fmt(x.heapAfterGcMb, 2),
    ]),
  );

  console.log('\nPer kind over the measured part (offered = the mix rate; answered/s over the measured seconds):');
  table(
    ['kind', 'offered/s', 'sent', 'answered/s', 'p50', 'p90', 'p99', 'max', 'statuses', 'unexpected', 'errors', 'timeouts', 'dropped', 'skipped'],
    KIND_ORDER.filter((k) => r.totals.measured[k]).map((k) => {
      const f = r.totals.measured[k];
      return [
        k,
        r.mix.ratesPerSecond[k].toFixed(1),
        String(f.sent),
        f.perSecond.toFixed(1),
        fmt(f.latencyMs.p50),
        fmt(f.latencyMs.p90),
        fmt(f.latencyMs.p99),
        fmt(f.latencyMs.max),
        Object.entries(f.statuses)
          .map(([s, n]) => `${s}:${n}`)
          .join(' '),
        String(f.unexpected),
        String(f.errors),
        String(f.timeouts),
        String(f.dropped),
        String(f.skipped),
      ];
    }),
  );
  const w = r.totals.warmup;
  const t = r.totals.tail;
  const bad = (x: Record<string, KindFigures>) => sum(Object.values(x).map((f) => f.unexpected + f.errors + f.timeouts + f.dropped));
  console.log(`warm-up: ${sum(Object.values(w).map((f) => f.answered))} answered, ${bad(w)} bad; after the measured part (draining): ${sum(Object.values(t).map((f) => f.answered))} answered, ${bad(t)} bad`);
  console.log(`client: at most ${r.client.maxInFlightSeen} requests open, largest backlog of one kind ${r.client.maxBacklog}; ${r.client.openAtStop} open at stop, ${r.client.unansweredAfterDrain} unanswered after draining`);

  if (r.heapAfterGc.length) {
    console.log('\nHeap right after a forced full GC:');
    table(
      ['t s', 'GC ms', 'heap before MB', 'heap after MB', 'old space MB', 'RSS MB', 'external MB'],
      r.heapAfterGc.map((g) => [String(g.t), g.gcMs.toFixed(1), mbText(g.heapUsedBefore, 2), mbText(g.heapUsedAfter, 2), mbText(g.spaces.old_space, 2), mbText(g.rssAfter), mbText(g.externalAfter, 2)]),
    );
  }

  if (r.disbursements.length) {
    if (r.vacuums.length > 0) console.log(`\nVACUUM (ANALYZE) of the tables updated in place (for autovacuum): ${r.vacuums.map((v) => `${v.at} s ${v.ms} ms`).join(', ')}`);
    console.log('\nDisbursements:');
    table(
      ['at s', 'period', 'ms', 'recipients', 'total', 'result'],
      r.disbursements.map((d) => [String(d.at), d.period, d.ms.toFixed(0), String(d.recipients ?? '-'), d.total ?? '-', d.ok ? 'ok' : `FAILED ${d.error ?? ''}`]),
    );
  }

  if (r.money) {
    const mo = r.money;
    console.log('\nMoney:');
    console.log(
      `  payments: ${mo.payments.dbApproved} approved in the database under this run's keys (${mo.payments.dbApprovedAmount}) = ${mo.payments.clientApproved} answered 201 (+${mo.payments.unansweredApproved} of ${mo.payments.unanswered} unanswered) (${mo.payments.clientApprovedAmount}): ${ok(mo.payments.ok)}`,
    );
    for (const [name, k] of [
      ['refunds', mo.refunds],
      ['top-ups', mo.topUps],
    ] as const) {
      console.log(`  ${name}: ${k.dbCount} in the database (${k.dbAmount}) = ${k.clientCount} answered 201 (+${k.unansweredDone} of ${k.unanswered} unanswered) (${k.clientAmount}): ${ok(k.ok)}`);
    }
    console.log(`  disbursements: ${mo.disbursements.inDatabase} in the database, ${mo.disbursements.answered} answered 201: ${ok(mo.disbursements.ok)}`);
    const b = mo.books;
    console.log(`  merchants' accounts ${b.merchants.ledger} = approved − refunded ${b.merchants.expected}: ${ok(b.merchants.ok)}`);
    console.log(`  residents' cash and lots ${b.residents.ledger} = top-ups + disbursed − approved + refunded ${b.residents.expected}: ${ok(b.residents.ok)}`);
    console.log(`  program budgets ${b.programs.ledger} = funded − disbursed ${b.programs.expected}: ${ok(b.programs.ok)}`);
    console.log(`  merchant keys' stored 201s ${b.merchantKeyRecords.stored} = approved payments + refunds ${b.merchantKeyRecords.expected}: ${ok(b.merchantKeyRecords.ok)}`);
    const v = mo.whole.verify;
    console.log(`  GET /v1/ledger/verify: ${v.ok ? 'ok' : 'NOT OK'} (${v.transactions} transactions, ${v.entries} entries, trial balance ${v.trialBalance}, chain ${v.chainLength}, pending seal ${v.pendingSeal}, ${v.seconds} s)${v.ok ? '' : ` ${JSON.stringify(v.problems.slice(0, 5))}`}`);
  }
  console.log(`service log: ${r.serviceLogs.warnings} warnings, ${r.serviceLogs.errors} errors`);
  for (const s of r.serviceLogs.samples) console.log(`  ${s}`);
  if (r.client.samples.length) {
    console.log('first unexpected answers and errors:');
    for (const s of r.client.samples.slice(0, 10)) console.log(`  ${s}`);
  }

  console.log('\nVerdict:');
  for (const c of r.verdict.checks) {
    console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.measured}`);
    console.log(`        rule: ${c.rule}`);
  }
  if (r.verdict.latency.overlap) console.log(`(the run is shorter than two minutes: the first and the last minute overlap, so the p99 comparison says little)`);
  console.log(`\n${r.verdict.pass ? 'PASS' : 'FAIL'}`);
}

export function writeResult(r: SoakResult, stamp: string): string {
  const path = join(resultsDir(), `soak-${stamp}.json`);
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function fmt(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function mbText(bytes: number | null | undefined, digits = 1): string {
  return bytes === null || bytes === undefined ? '-' : (bytes / (1024 * 1024)).toFixed(digits);
}

function ok(b: boolean): string {
  return b ? 'ok' : 'NOT OK';
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
