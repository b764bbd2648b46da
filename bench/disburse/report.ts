import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineFacts } from '../ledger/report';
import type { Breakdown } from './breakdown';
import type { LedgerChecks } from './checks';
import type { CopyReference } from './copy';
import type { WindowStats } from './load';
import { resultsDir } from './paths';
import type { SealWatch } from './seal-watch';

export interface DisburseResult {
  startedAt: string;
  /** The code measured: HEAD and the uncommitted changes to the service's code at the start of the run. */
  code: { head: string | null; uncommitted: string[] };
  options: { residents: number; ineligible: number; paymentRate: number; paymentCards: number; server: string };
  machine: MachineFacts;
  setup: { seedSeconds: number; copyDbSeedSeconds: number; fixtureSeconds: number; programId: string; funded: string };
  disbursement: {
    /** The figure: wall time of POST /v1/subsidy-programs/:id/disbursements, from sending to the whole answer. */
    seconds: number;
    status: number;
    body: unknown;
    recipients: number;
    total: string;
    /** 1-minute load average just before the request. */
    loadAverageBefore: number;
    /** 1-minute load average right after the answer: other work on the shared machine shows here. */
    loadAverageAfter: number;
    /** Machine busy (all cores) and the service process's CPU (100 = one core) while it ran. */
    machineBusyPercent: number | null;
    serviceCpuPercent: number | null;
    withinBound: boolean;
  };
  idempotency: { replayStatus: number; replayHeader: string | null; replaySameBody: boolean; otherKeyStatus: number; otherKeyCode: string | null };
  ledger: LedgerChecks;
  verify: { seconds: number; status: number; report: { ok: boolean; transactions: number; entries: number; trialBalance: string; chainLength: number; pendingSeal: number; problems: unknown[] } };
  payments: { rate: number; before: WindowStats; during: WindowStats; after: WindowStats; windows: { beforeSeconds: number; duringSeconds: number; afterSeconds: number } };
  /** The service's sealer around the disbursement (it cannot seal past a transaction still running). */
  sealing: SealWatch;
  copy: CopyReference | null;
  breakdown: Breakdown | null;
  service: { warnings: number; errors: number; samples: string[]; logFile: string };
  checksPassed: boolean;
  failures: string[];
}

export const BOUND_SECONDS = 10;

export function printReport(r: DisburseResult): void {
  const m = r.machine;
  const d = r.disbursement;
  console.log('');
  console.log(`Disbursement bench, ${r.startedAt}: ${r.options.residents.toLocaleString('en')} eligible residents${r.options.ineligible ? ` (+${r.options.ineligible.toLocaleString('en')} ineligible)` : ''}`);
  console.log(`code: ${r.code.head ?? 'unknown'}${r.code.uncommitted.length ? ` + uncommitted changes to ${r.code.uncommitted.join(', ')}` : ''}`);
  console.log(`${m.cpuModel} x${m.cpuCount}, ${m.totalMemGiB} GiB, ${m.platform}, Node ${m.nodeVersion}, PostgreSQL ${m.postgresVersion}, synchronous_commit=${m.synchronousCommit}`);
  console.log(`load average at start: ${m.loadAverageAtStart.join(' ')}; 1-minute load just before the disbursement: ${d.loadAverageBefore}, right after it: ${d.loadAverageAfter}`);
  console.log('');
  table(
    ['measure', 'value'],
    [
      ['POST /disbursements wall time', `${d.seconds.toFixed(2)} s (bound ${BOUND_SECONDS} s: ${d.withinBound ? 'met' : 'MISSED'})`],
      ['status / recipients / total', `${d.status} / ${d.recipients} / ${d.total}`],
      ['machine busy / service CPU during it', `${d.machineBusyPercent ?? '-'}% / ${d.serviceCpuPercent ?? '-'}% of one core`],
      ['ledger transaction entries / sum', `${r.ledger.entries.count} / ${r.ledger.entries.sum} (credits ${r.ledger.entries.credits} of ${r.ledger.entries.creditAmounts.join(',')}, debit ${r.ledger.entries.debit})`],
      ['wallets / their balance rows / sum', `${r.ledger.wallets.count} / ${r.ledger.wallets.balanceRows} / ${r.ledger.wallets.balanceSum}`],
      ['budget after', r.ledger.budgetAfter],
      ['replay (same key)', `${r.idempotency.replayStatus}, Idempotent-Replayed: ${r.idempotency.replayHeader}, same body: ${r.idempotency.replaySameBody}`],
      ['same period, new key', `${r.idempotency.otherKeyStatus} ${r.idempotency.otherKeyCode ?? ''}`],
      ['GET /v1/ledger/verify (seals first)', `${r.verify.seconds.toFixed(2)} s, ok=${r.verify.report.ok}, ${r.verify.report.transactions} txns, ${r.verify.report.entries} entries, trial balance ${r.verify.report.trialBalance}`],
    ],
  );
  console.log('');
  const p = r.payments;
  console.log(`Payments at ${p.rate}/s (open loop) around the disbursement:`);
  table(
    ['window', 'seconds', 'sent', 'answered', 'statuses', 'p50 ms', 'p99 ms', 'max ms', 'longest silence ms'],
    (
      [
        ['before', p.windows.beforeSeconds, p.before],
        ['during', p.windows.duringSeconds, p.during],
        ['after', p.windows.afterSeconds, p.after],
      ] as const
    ).map(([name, s, w]) => [
      name,
      s.toFixed(2),
      String(w.sent),
      String(w.answered),
      Object.entries(w.statuses).map(([k, v]) => `${k}:${v}`).join(' '),
      String(w.p50Ms ?? '-'),
      String(w.p99Ms ?? '-'),
      String(w.maxMs ?? '-'),
      String(w.longestSilenceMs ?? '-'),
    ]),
  );
  const s = r.sealing;
  console.log(
    `Sealer: up to ${s.maxBacklog} committed transactions waiting for the chain (at most ${s.backlogBefore} before the disbursement); longest stall ${(s.longestStallMs / 1000).toFixed(2)} s; ` +
      `back to its usual lag ${s.caughtUpAfterAnswerMs === null ? 'not within 30 s' : `${(s.caughtUpAfterAnswerMs / 1000).toFixed(2)} s`} after the disbursement answered`,
  );
  if (r.copy) {
    console.log('');
    const c = r.copy;
    console.log(`COPY reference (separate database seeded the same way):`);
    console.log(`  ${c.entriesOnly.rows} rows into a table shaped like ledger_entries (${c.entriesOnly.table}): ${c.entriesOnly.runsMs.map((x) => x.toFixed(0)).join(', ')} ms (median ${c.entriesOnly.medianMs.toFixed(0)} ms)`);
    console.log(`  the four tables' rows into plain copies (LIKE ... INCLUDING ALL: same indexes and CHECKs, no foreign keys or triggers), one transaction: ${c.allTablesPlain.totalMs.toFixed(0)} ms for ${c.allTablesPlain.rows} rows`);
    for (const s of c.allTablesPlain.steps) console.log(`    ${s.step.padEnd(30)} ${String(s.rows).padStart(7)} rows ${s.ms.toFixed(1).padStart(9)} ms`);
    console.log(`  everything a disbursement writes, into the real tables (foreign keys, triggers), one transaction: ${c.allTables.totalMs.toFixed(0)} ms for ${c.allTables.rows} rows`);
    for (const s of c.allTables.steps) console.log(`    ${s.step.padEnd(30)} ${String(s.rows).padStart(7)} rows ${s.ms.toFixed(1).padStart(9)} ms`);
  }
  if (r.breakdown) {
    const b = r.breakdown;
    console.log('');
    console.log(`Breakdown: DisburseHandler in the bench process, period ${b.period}, ${b.recipients} recipients, ${(b.wallMs / 1000).toFixed(2)} s (JavaScript ${(b.jsMs / 1000).toFixed(2)} s, statements ${(b.dbMs / 1000).toFixed(2)} s)`);
    table(
      ['#', 'statement', 'JS before ms', 'round trip ms', 'rows', 'param chars'],
      b.statements.map((s) => [String(s.n), s.label, s.jsBeforeMs.toFixed(1), s.ms.toFixed(1), String(s.rows ?? '-'), String(s.paramChars)]),
    );
    console.log('');
    console.log('EXPLAIN ANALYZE of the same statements (rolled back); trigger times are inside the execution time:');
    for (const e of b.explained) {
      if (e.executionMs < 5) continue;
      console.log(`  #${e.n} ${e.label}`);
      console.log(`     planning ${e.planningMs.toFixed(1)} ms, execution ${e.executionMs.toFixed(1)} ms`);
      for (const t of e.triggers) console.log(`     trigger ${t.name} on ${t.relation}: ${t.ms.toFixed(1)} ms, ${t.calls} calls`);
    }
    console.log('');
    console.log('JavaScript pieces, each timed alone:');
    for (const j of b.jsPieces) console.log(`  ${j.piece.padEnd(80)} ${j.ms.toFixed(1).padStart(9)} ms`);
    const z = b.sealing;
    console.log(`sealPending over it, in this process: ${z.sealed} transaction(s) sealed in ${z.wallMs.toFixed(0)} ms (statements ${z.dbMs.toFixed(0)} ms, JavaScript ${z.jsMs.toFixed(0)} ms)`);
  }
  console.log('');
  console.log(`service log: ${r.service.warnings} warnings, ${r.service.errors} errors (${r.service.logFile})`);
  for (const s of r.service.samples) console.log(`  ${s}`);
  console.log(r.checksPassed ? 'all checks passed' : `CHECKS FAILED:\n  ${r.failures.join('\n  ')}`);
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export function writeResult(r: DisburseResult, stamp: string): string {
  const path = join(resultsDir(), `disburse-${stamp}.json`);
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}
