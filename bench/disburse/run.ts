import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { migrateLatest } from '../../src/db/migrations';
import { startCpuMeter } from '../ledger/cpu';
import { ScratchDatabases } from '../ledger/databases';
import { urlForDatabase } from '../ledger/options';
import { machineFacts } from '../ledger/report';
import { breakdown, type Breakdown } from './breakdown';
import { checkLedger } from './checks';
import { copyReference, type CopyReference } from './copy';
import { PaymentLoad, windowStats } from './load';
import { SealWatcher } from './seal-watch';
import { readDisburseOptions } from './options';
import { repoRoot, resultsDir } from './paths';
import { BOUND_SECONDS, printReport, writeResult, type DisburseResult } from './report';
import { paymentCards, seedResidents } from './seed';
import { call, ok, Service, sleep } from './service';
import { log, redact, round, withPool } from '../common';

const AMOUNT = '200.00';
const PERIOD = '2026-12';
const BREAKDOWN_PERIOD = '2027-01';

/**
 * One allowance disbursement to every eligible resident (160,000 by default) through
 * the running service's HTTP API, timed from request to answer, with a light payment
 * load against the same service around it; then the ledger checked, the COPY
 * reference on a twin database, and (unless BENCH_BREAKDOWN=0) a per-statement
 * breakdown of the same handler. Everything happens in databases this run creates
 * and drops.
 */
async function main(): Promise<void> {
  const options = readDisburseOptions();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const dbs = new ScratchDatabases(options.serverUrl);
  let service: Service | null = null;
  let watchDb: Knex | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () => (cleaning ??= (async () => {
    await watchDb?.destroy().catch(() => undefined);
    await service?.stop().catch((err: Error) => console.error(`could not stop the service: ${err.message}`));
    await dbs.dropAll();
  })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the service and dropping the bench databases`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  try {
    const machine = machineFacts(await dbs.serverFacts());
    const code = codeFacts();
    const n = options.residents;
    const benchDb = await dbs.create(`ccard_bench_disburse_${stamp}`);
    const copyDb = await dbs.create(`ccard_bench_disburse_${stamp}_copy`);
    log(`created ${benchDb} and ${copyDb}`);

    const seeded = await withPool(dbs, benchDb, 2, async (knex) => {
      await migrateLatest(knex);
      return seedResidents(knex, n, options.ineligible);
    });
    log(`seeded ${seeded.residents} residents with ${seeded.cards} active cards in ${seeded.seconds.toFixed(1)} s`);
    const copySeeded = await withPool(dbs, copyDb, 2, async (knex) => {
      await migrateLatest(knex);
      return seedResidents(knex, n, options.ineligible);
    });
    log(`seeded the COPY twin the same way in ${copySeeded.seconds.toFixed(1)} s`);

    const logFile = join(resultsDir(), `disburse-${stamp}.service.log`);
    service = await Service.start({ databaseUrl: urlForDatabase(options.serverUrl, benchDb), logFile });
    const base = service.baseUrl;
    const admin = service.adminKey;
    log(`service pid ${service.pid} on ${base}`);

    // The world, through the API: the program, its budget, a canteen terminal and a few topped-up cards.
    const fixtureStarted = performance.now();
    const program = await ok<{ id: string }>(base, 'POST', '/v1/subsidy-programs', admin, {
      name: '陆家嘴长者助餐补贴',
      kind: 'allowance',
      merchantCategories: ['canteen'],
      eligibility: { minAge: 60 },
      amount: AMOUNT,
      validDays: 30,
    });
    // The breakdown disburses a second period and then replays it (rolled back) under EXPLAIN ANALYZE: budget for three.
    const funded = (Number(AMOUNT) * n * (options.breakdown ? 3 : 1)).toFixed(2);
    await ok(base, 'POST', `/v1/subsidy-programs/${program.id}/funding`, admin, { amount: funded }, `bench-funding-${stamp}`);
    const merchant = await ok<{ id: string }>(base, 'POST', '/v1/merchants', admin, { name: '陆家嘴长者食堂', category: 'canteen' });
    const terminal = await ok<{ key: string }>(base, 'POST', '/v1/api-keys', admin, { role: 'merchant', name: 'bench canteen terminal', merchantId: merchant.id });
    const cards = await withPool(dbs, benchDb, 1, (knex) => paymentCards(knex, options.paymentCards));
    for (const c of cards) await ok(base, 'POST', '/v1/top-ups', admin, { cardId: c.cardId, amount: '5000.00', method: 'cash' }, `bench-top-up-${c.cardId}`);
    const fixtureSeconds = (performance.now() - fixtureStarted) / 1000;
    log(`program ${program.id} funded with ${funded}; ${cards.length} cards topped up for the payment load (${fixtureSeconds.toFixed(1)} s)`);

    // The measurement.
    await dbs.checkpoint();
    watchDb = dbs.connect(benchDb, 1);
    const watcher = new SealWatcher(watchDb);
    watcher.start();
    const load = new PaymentLoad(base, terminal.key, cards.map((c) => c.uid), options.paymentRate, stamp);
    const loadStarted = performance.now();
    load.start();
    await sleep(options.paymentSecondsAround * 1000);
    const loadBefore = Math.round(os.loadavg()[0] * 100) / 100;
    log(`POST /v1/subsidy-programs/${program.id}/disbursements {period: ${PERIOD}} (1-minute load ${loadBefore}) ...`);
    const serviceCpu0 = processCpuSeconds(service.pid);
    const meter = startCpuMeter();
    const dStart = performance.now();
    const disbursed = await call<{ id: string; recipients: number; total: string; code?: string }>(base, 'POST', `/v1/subsidy-programs/${program.id}/disbursements`, admin, { period: PERIOD }, `bench-disburse-${stamp}`);
    const dEnd = performance.now();
    const cpu = meter();
    const serviceCpu1 = processCpuSeconds(service.pid);
    const seconds = (dEnd - dStart) / 1000;
    const loadAfter = Math.round(os.loadavg()[0] * 100) / 100;
    log(`  answered ${disbursed.status} in ${seconds.toFixed(2)} s: ${JSON.stringify(disbursed.body)}`);
    await sleep(options.paymentSecondsAround * 1000);
    const loadStopped = performance.now();
    const samples = await load.stop();
    await watcher.caughtUp(dEnd, 30_000);
    const sealing = watcher.stop(dStart, dEnd);
    await watchDb.destroy();
    watchDb = null;
    log(`  sealer: backlog up to ${sealing.maxBacklog} (before: ${sealing.backlogBefore}), longest stall ${(sealing.longestStallMs / 1000).toFixed(1)} s, back to normal ${sealing.caughtUpAfterAnswerMs ?? '>30000'} ms after the answer`);
    if (disbursed.status !== 201) throw new Error(`the disbursement answered ${disbursed.status}: ${JSON.stringify(disbursed.body)}`);

    // Idempotency: the same request again replays; another key for the same period is refused.
    const replay = await call(base, 'POST', `/v1/subsidy-programs/${program.id}/disbursements`, admin, { period: PERIOD }, `bench-disburse-${stamp}`);
    const otherKey = await call<{ code?: string }>(base, 'POST', `/v1/subsidy-programs/${program.id}/disbursements`, admin, { period: PERIOD }, `bench-disburse-${stamp}-again`);

    const ledger = await withPool(dbs, benchDb, 1, (knex) => checkLedger(knex, program.id, disbursed.body.id));
    log(`ledger checked: ${ledger.entries.count} entries summing to ${ledger.entries.sum}`);
    log('GET /v1/ledger/verify ...');
    const verify = await call<DisburseResult['verify']['report']>(base, 'GET', '/v1/ledger/verify', admin);
    log(`  ${verify.status} in ${(verify.ms / 1000).toFixed(2)} s, ok=${verify.body?.ok}`);
    await service.stop();
    const serviceProblems = { ...service.logs, logFile };
    service = null;

    let copy: CopyReference | null = null;
    log(`COPY reference on ${copyDb} ...`);
    copy = await copyReference(urlForDatabase(options.serverUrl, copyDb), AMOUNT, 3, () => dbs.checkpoint());
    log(`  entries alone: median ${copy.entriesOnly.medianMs.toFixed(0)} ms; all tables: ${copy.allTables.totalMs.toFixed(0)} ms`);

    let detail: Breakdown | null = null;
    if (options.breakdown) {
      log(`breakdown: the same handler in this process for ${BREAKDOWN_PERIOD}, every statement timed, then EXPLAIN ANALYZE ...`);
      await dbs.checkpoint();
      detail = await withPool(dbs, benchDb, 4, (knex) => breakdown(knex, urlForDatabase(options.serverUrl, benchDb), program.id, BREAKDOWN_PERIOD));
      log(`  ${(detail.wallMs / 1000).toFixed(2)} s in process`);
    }

    const failures: string[] = [];
    const expectTotal = (Number(AMOUNT) * n).toFixed(2);
    const expect = (cond: boolean, what: string) => cond || failures.push(what);
    expect(disbursed.body.recipients === n, `recipients ${disbursed.body.recipients}, expected ${n}`);
    expect(disbursed.body.total === expectTotal, `total ${disbursed.body.total}, expected ${expectTotal}`);
    expect(ledger.eligibleByRule === n, `eligible by the rule: ${ledger.eligibleByRule}, expected ${n}`);
    expect(ledger.entries.count === n + 1, `the transaction has ${ledger.entries.count} entries, expected ${n + 1}`);
    expect(Number(ledger.entries.sum) === 0, `the transaction's entries sum to ${ledger.entries.sum}`);
    expect(ledger.entries.credits === n && ledger.entries.creditAmounts.join() === AMOUNT, `credits: ${ledger.entries.credits} of ${ledger.entries.creditAmounts.join()}`);
    expect(ledger.wallets.count === n && ledger.wallets.residents === n && ledger.wallets.balanceRows === n, `wallets: ${JSON.stringify(ledger.wallets)}`);
    expect(ledger.disbursementTransactions === 1, `disbursement transactions in the ledger: ${ledger.disbursementTransactions}`);
    expect(replay.status === 201 && replay.headers.get('idempotent-replayed') === 'true', `replay answered ${replay.status}, Idempotent-Replayed ${replay.headers.get('idempotent-replayed')}`);
    expect(isDeepStrictEqual(replay.body, disbursed.body), `the replay answered another body: ${JSON.stringify(replay.body)}`);
    expect(otherKey.status === 409 && otherKey.body?.code === 'period_already_disbursed', `a second key for the period answered ${otherKey.status} ${JSON.stringify(otherKey.body)}`);
    expect(verify.status === 200 && verify.body?.ok === true, `verify answered ${verify.status} ok=${verify.body?.ok}`);
    const during = windowStats(samples, dStart, dEnd);
    expect(options.paymentRate === 0 || during.answered > 0, 'no payment was answered while the disbursement ran');
    const failedPayments = samples.filter((s) => s.status !== 201 && s.status !== 402).length;
    expect(failedPayments === 0, `${failedPayments} payments answered neither 201 nor 402`);

    const result: DisburseResult = {
      startedAt: startedAt.toISOString(),
      code,
      options: {
        residents: n,
        ineligible: options.ineligible,
        paymentRate: options.paymentRate,
        paymentCards: cards.length,
        server: redact(options.serverUrl),
      },
      machine,
      setup: { seedSeconds: seeded.seconds, copyDbSeedSeconds: copySeeded.seconds, fixtureSeconds: round(fixtureSeconds), programId: program.id, funded },
      disbursement: {
        seconds: round(seconds),
        status: disbursed.status,
        body: disbursed.body,
        recipients: disbursed.body.recipients,
        total: disbursed.body.total,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
        machineBusyPercent: cpu.machineBusyPercent,
        serviceCpuPercent: serviceCpu0 === null || serviceCpu1 === null ? null : Math.round((1000 * (serviceCpu1 - serviceCpu0)) / seconds) / 10,
        withinBound: seconds <= BOUND_SECONDS,
      },
      idempotency: {
        replayStatus: replay.status,
        replayHeader: replay.headers.get('idempotent-replayed'),
        replaySameBody: isDeepStrictEqual(replay.body, disbursed.body),
        otherKeyStatus: otherKey.status,
        otherKeyCode: otherKey.body?.code ?? null,
      },
      ledger,
      verify: { seconds: round(verify.ms / 1000), status: verify.status, report: verify.body },
      payments: {
        rate: options.paymentRate,
        before: windowStats(samples, loadStarted, dStart),
        during,
        after: windowStats(samples, dEnd, loadStopped),
        windows: { beforeSeconds: round((dStart - loadStarted) / 1000), duringSeconds: round(seconds), afterSeconds: round((loadStopped - dEnd) / 1000) },
      },
      sealing,
      copy,
      breakdown: detail,
      service: serviceProblems,
      checksPassed: failures.length === 0,
      failures,
    };
    printReport(result);
    console.log(`\nwrote ${writeResult(result, stamp)}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/** Which code ran: read-only git queries (HEAD, uncommitted changes under src/, ledger/, migrations/). */
function codeFacts(): DisburseResult['code'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const uncommitted = git('status', '--porcelain', '--', 'src', 'ledger', 'migrations')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { head: git('rev-parse', '--short', 'HEAD'), uncommitted };
  } catch {
    return { head: null, uncommitted: [] };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; null off Linux. */
function processCpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ", utime and stime are fields 12 and 13 (0-based), in clock ticks (100/s on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
