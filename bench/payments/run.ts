import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { ScratchDatabases } from '../ledger/databases';
import { urlForDatabase } from '../ledger/options';
import { initPgbench, runPgbench } from '../ledger/pgbench';
import { machineFacts } from '../ledger/report';
import { Api } from './api';
import { moneyChecks, reconcile } from './checks';
import { buildFixture, type PaymentsFixture } from './fixture';
import { runLoad, type LoadScenario } from './load';
import { readPaymentsBenchOptions, type PaymentsBenchOptions } from './options';
import { repoRoot, resultsDir } from './paths';
import { summarizeProfile, type ProfileSummary } from './profile-summary';
import { alarmsOf, cpuPerPayment, evaluateTargets, printReport, writeResult, type MeasuredLoad, type PaymentsBenchResult } from './report';
import { ServiceProcess, tail } from './service';
import { startWaitSampler } from './waits';

/** Unmeasured load before the first scenario, so the service's JIT and pools are warm. */
const WARMUP_SECONDS = 3;

/**
 * POST /v1/payments per second through the running service (compiled, as a child
 * process) on a PostgreSQL server, next to pgbench's tpcb-like on the same server at
 * the same concurrency, in the same run. Everything happens in databases this run
 * creates and drops.
 */
async function main(): Promise<void> {
  const options = readPaymentsBenchOptions();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  // Idempotency-Keys carry it, so this run's payments are told apart from any other's.
  const runTag = `b${randomBytes(4).toString('hex')}`;
  const dbs = new ScratchDatabases(options.serverUrl);
  let service: ServiceProcess | null = null;
  let db: Knex | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await service?.stop().catch((err: Error) => console.error(`could not stop the service: ${err.message}`));
      await db?.destroy();
      await dbs.dropAll();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the service and dropping the bench databases`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const logFile = join(resultsDir(), `payments-${stamp}.service.log`);
  const profileFile = join(resultsDir(), `payments-${stamp}.cpuprofile`);
  try {
    const machine0 = machineFacts(await dbs.serverFacts());
    const payDb = await dbs.create(`ccard_bench_pay_${stamp}`);
    db = dbs.connect(payDb, 2);
    const machine = { ...machine0, ...(await moreServerFacts(db)) };
    log(`load average ${machine.loadAverageAtStart.join(' ')}; created ${payDb}; starting the service`);

    service = await ServiceProcess.start({
      databaseUrl: urlForDatabase(options.serverUrl, payDb),
      logFile,
      ...(options.cpuProfile ? { profileFile } : {}),
      nodeArgs: options.serviceNodeArgs,
    });
    const api = new Api(service.baseUrl);
    log(`service pid ${service.pid} on ${service.baseUrl}; building the fixture over HTTP`);
    const fixture = await buildFixture(api, service.adminKey, { cards: options.cards, merchants: options.merchants, concurrency: options.setupConcurrency }, log);
    // Give the planner real statistics, as autovacuum would on a live database.
    await db.raw('VACUUM ANALYZE');

    const { main: pgbench, sweep: pgbenchSweep } = await pgbenchReference(dbs, db, options, stamp);

    const s = service;
    const all = fixture.merchants.map((m) => m.key);
    // Others' tests may use the same server: count only this database's backends and the server's own processes.
    const ownPostgres = async () => {
      const { rows } = await db!.raw<{ rows: { pid: number }[] }>(`SELECT pid FROM pg_stat_activity WHERE datname = ? OR backend_type <> 'client backend'`, [payDb]);
      return new Set(rows.map((r) => r.pid));
    };
    const measure = async (scenario: LoadScenario): Promise<MeasuredLoad> => {
      await dbs.checkpoint();
      log(`${scenario.id}: ${scenario.title}`);
      const stopWaits = startWaitSampler(db!, payDb);
      const load = await runLoad(s.baseUrl, scenario, fixture.uids, runTag, s.pid, ownPostgres);
      const waits = await stopWaits();
      const reconciliation = await reconcile(db!, runTag, load);
      log(`  ${load.approvedPerSecond.toFixed(1)} approved/s, p99 ${load.latencyMs.p99.toFixed(2)} ms, statuses ${JSON.stringify(load.statusCounts)}, reconciled ${reconciliation.ok ? 'ok' : 'NO'}`);
      return { ...load, unanswered: load.unanswered.length, reconciliation, cpuMicrosPerPayment: cpuPerPayment(load), waits };
    };
    const spreadAt = (connections: number, id: string): LoadScenario => ({
      id,
      title: `spread over ${options.cards} cards and ${options.merchants} merchants, ${connections} connections, ${options.seconds} s`,
      connections,
      seconds: options.seconds,
      merchantKeys: all,
    });

    log(`warm-up: ${WARMUP_SECONDS} s spread, not measured`);
    await runLoad(s.baseUrl, { ...spreadAt(options.connections, 'warmup'), seconds: WARMUP_SECONDS }, fixture.uids, runTag, s.pid, ownPostgres);

    const spread = await measure(spreadAt(options.connections, 'spread'));
    const hot = await measure({
      id: 'hot',
      title: `every payment to one merchant, ${options.connections} connections, ${options.seconds} s`,
      connections: options.connections,
      seconds: options.seconds,
      merchantKeys: [fixture.merchants[0].key],
    });
    const rateAt = (staggered: boolean): LoadScenario => ({
      id: staggered ? 'rate' : 'rate-aligned',
      title:
        `spread at a fixed ${options.rate}/s offered (autocannon overallRate) over ${options.rateConnections} connections, ${options.seconds} s, ` +
        (staggered ? 'one instance per connection, starts spread over a second' : 'one autocannon instance (every quota released at the top of each second)'),
      connections: options.rateConnections,
      seconds: options.seconds,
      overallRate: options.rate,
      staggered,
      merchantKeys: all,
    });
    const rate = await measure(rateAt(true));
    const rateAligned = await measure(rateAt(false));
    const floor = await measure({
      id: 'floor',
      title: `payments refused by validation (amount 0.00, 400, no database work), ${options.connections} connections, ${options.seconds} s`,
      connections: options.connections,
      seconds: options.seconds,
      merchantKeys: all,
      refused: true,
    });
    const sweep: MeasuredLoad[] = [];
    for (const c of options.sweep) sweep.push(await measure(spreadAt(c, `spread-c${c}`)));

    let profiled: MeasuredLoad | null = null;
    let profile: ProfileSummary | null = null;
    if (options.cpuProfile) {
      await s.startProfiler();
      profiled = await measure(spreadAt(options.connections, 'spread-profiled'));
      await s.stopProfiler();
      profile = summarizeProfile(profileFile);
    }

    log('checking the money and verifying the ledger');
    const money = await moneyChecks(db, api, s.adminKey, fixture.topUpTotal);
    await s.stop();
    const serviceLogs = s.logs;

    const { targets, ratio } = evaluateTargets({ spread, hot, rate, rateAligned, pgbench });
    const loads = [spread, hot, rate, rateAligned, floor, ...sweep, ...(profiled ? [profiled] : [])];
    const result: PaymentsBenchResult = {
      startedAt: startedAt.toISOString(),
      options: { ...pick(options), server: redact(options.serverUrl) },
      machine,
      source: sourceFacts(),
      setup: setupFacts(fixture),
      pgbench,
      pgbenchSweep,
      spread,
      hot,
      rate,
      rateAligned,
      floor,
      sweep,
      profiled,
      profile,
      ratioToPgbench: ratio,
      targets,
      money,
      serviceLogs,
      alarms: alarmsOf(loads, money, serviceLogs),
    };
    printReport(result);
    console.log(`\nwrote ${writeResult(result, stamp)} (service log: ${logFile})`);
    if (result.alarms.length > 0 || !money.ok) process.exitCode = 1;
  } catch (err) {
    console.error(err);
    const logTail = tail(logFile);
    if (logTail) console.error(`\nlast lines of the service log (${logFile}):\n${logTail}`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/**
 * pgbench tpcb-like at the main connection count (the reference for target 1) and at
 * each sweep count, in its own database, dropped again before the service is loaded so
 * its autovacuum does not run under the scenarios. Its clients are capped at the
 * server's free connection slots (max_connections is 100 on a stock server, and the
 * idle service holds some).
 */
async function pgbenchReference(dbs: ScratchDatabases, db: Knex, options: PaymentsBenchOptions, stamp: string) {
  const pgbenchDb = await dbs.create(`ccard_pgbench_${stamp}`);
  log(`pgbench -i on ${pgbenchDb}`);
  await initPgbench(options.serverUrl, pgbenchDb);
  const runAt = async (requested: number) => {
    const { rows } = await db.raw<{ rows: { free: number }[] }>(
      `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int - 2 AS free`,
    );
    const clients = Math.max(1, Math.min(requested, rows[0].free));
    await dbs.checkpoint();
    log(`pgbench tpcb-like, ${clients} clients${clients !== requested ? ` (asked for ${requested})` : ''}, ${options.seconds} s`);
    const r = await runPgbench(options.serverUrl, pgbenchDb, clients, options.seconds);
    log(`  ${r.tps.toFixed(1)} tps`);
    return { ...r, clientsRequested: requested };
  };
  const main = await runAt(options.connections);
  const sweep = [];
  for (const c of options.sweep) sweep.push(await runAt(c));
  await dbs.drop(pgbenchDb);
  return { main, sweep };
}

async function moreServerFacts(db: Knex): Promise<{ postgresSharedBuffers: string; postgresFsync: string; postgresAutovacuum: string }> {
  const show = async (s: string) => ((await db.raw(`SHOW ${s}`)) as { rows: Record<string, string>[] }).rows[0][s];
  return { postgresSharedBuffers: await show('shared_buffers'), postgresFsync: await show('fsync'), postgresAutovacuum: await show('autovacuum') };
}

/** Read-only git: which code was measured, since others change src/ while benches run. */
function sourceFacts(): { commit: string | null; uncommittedServiceFiles: string[] } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const status = git(['status', '--porcelain', '--', 'src', 'ledger', 'migrations']);
    return { commit: git(['rev-parse', 'HEAD']), uncommittedServiceFiles: status ? status.split('\n').map((l) => l.trim()) : [] };
  } catch {
    return { commit: null, uncommittedServiceFiles: [] };
  }
}

function setupFacts(f: PaymentsFixture) {
  return { merchantsSeconds: f.seconds.merchants, cardsSeconds: f.seconds.cards, topUpTotal: f.topUpTotal };
}

function pick(o: PaymentsBenchOptions) {
  return { seconds: o.seconds, connections: o.connections, rate: o.rate, rateConnections: o.rateConnections, sweep: o.sweep, cards: o.cards, merchants: o.merchants, serviceNodeArgs: o.serviceNodeArgs };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
