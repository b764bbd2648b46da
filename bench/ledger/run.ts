import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { migrateLatest } from '../../src/db/migrations';
import { KnexAuditSource } from '../../src/ledger/knex-audit.source';
import { sealPending } from '../../src/ledger/sealer';
import { verifyLedger } from '../../ledger/verify';
import { ScratchDatabases } from './databases';
import { buildFixture, MERCHANTS, WALLETS } from './fixture';
import { readBenchOptions } from './options';
import { initPgbench, runPgbench } from './pgbench';
import { machineFacts, printReport, writeResult, type BenchResult } from './report';
import { runScenario, SCENARIOS, type ScenarioResult } from './scenarios';
import { log, redact, round, withPool } from '../common';

/**
 * Transfers per second through Ledger + KnexLedgerStore on a PostgreSQL server, next
 * to pgbench's tpcb-like on the same server at the same client count. Everything
 * happens in databases this run creates and drops.
 */
async function main(): Promise<void> {
  const options = readBenchOptions();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const dbs = new ScratchDatabases(options.serverUrl);
  let cleaning: Promise<void> | null = null;
  const cleanUp = () => (cleaning ??= dbs.dropAll());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: dropping the bench databases`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  try {
    const machine = machineFacts(await dbs.serverFacts());
    const ledgerDb = await dbs.create(`ccard_bench_${stamp}`);
    log(`created ${ledgerDb}`);

    const setupStarted = performance.now();
    const fixture = await withPool(dbs, ledgerDb, 2, async (knex) => {
      await migrateLatest(knex);
      const f = await buildFixture(knex);
      // Give the planner real statistics, as autovacuum would on a live database.
      await knex.raw('VACUUM ANALYZE');
      return f;
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    log(`set up ${WALLETS} wallets and ${MERCHANTS} merchants in ${setupSeconds.toFixed(1)} s`);

    // pgbench first, and its database dropped before the ledger runs, so its autovacuum does not run under them.
    const pgbenchDb = await dbs.create(`ccard_pgbench_${stamp}`);
    log(`pgbench -i on ${pgbenchDb}`);
    await initPgbench(options.serverUrl, pgbenchDb);
    await dbs.checkpoint();
    log(`pgbench tpcb-like, ${options.clients} clients, ${options.secondsPerScenario} s`);
    const pgbench = await runPgbench(options.serverUrl, pgbenchDb, options.clients, options.secondsPerScenario);
    await dbs.drop(pgbenchDb);
    log(`  ${pgbench.tps.toFixed(1)} tps`);

    const scenarios: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      await dbs.checkpoint();
      log(`${scenario.name}: ${options.clients} clients, ${options.secondsPerScenario} s`);
      // A pool per scenario: one connection per writer, and closing it flushes the sessions' statistics.
      const result = await withPool(dbs, ledgerDb, options.clients + 1, (knex) =>
        runScenario(knex, fixture, scenario, options.clients, options.secondsPerScenario),
      );
      log(`  ${result.transfersPerSecond.toFixed(1)} transfers/s, ${result.transactionsPerSecond.toFixed(1)} txns/s, ${result.errors} errors`);
      scenarios.push(result);
    }

    const { sealer, verify } = await withPool(dbs, ledgerDb, 2, async (knex) => {
      log('sealing');
      const sealer = await sealAll(knex);
      log('verifying');
      const verifyStarted = performance.now();
      const report = await verifyLedger(new KnexAuditSource(knex));
      return { sealer, verify: { seconds: round((performance.now() - verifyStarted) / 1000), ...report } };
    });

    // Sessions report their statistics when they end, a moment after the pool closes.
    await new Promise((r) => setTimeout(r, 1000));
    const deadlocks = await dbs.deadlocks(ledgerDb);

    const result: BenchResult = {
      startedAt: startedAt.toISOString(),
      options: { secondsPerScenario: options.secondsPerScenario, clients: options.clients, server: redact(options.serverUrl) },
      machine,
      setup: { wallets: WALLETS, merchants: MERCHANTS, seconds: round(setupSeconds) },
      scenarios: scenarios.map((s) => ({ ...s, ratioToPgbench: Math.round((s.transfersPerSecond / pgbench.tps) * 1000) / 1000 })),
      pgbench,
      sealer,
      verify,
      deadlocks,
    };
    printReport(result);
    console.log(`\nwrote ${writeResult(result, stamp)}`);
    if (!verify.ok) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/**
 * Seals until nothing is pending. `sealPending` stops at the oldest transaction still
 * running anywhere on the server, so another session can hold it back briefly.
 */
async function sealAll(knex: Knex): Promise<{ sealed: number; seconds: number; perSecond: number }> {
  const audit = new KnexAuditSource(knex);
  const started = performance.now();
  let sealed = 0;
  for (let round = 0; ; round++) {
    sealed += await sealPending(knex);
    if ((await audit.unsealed(0)).pending === 0) break;
    if (round >= 600) throw new Error('the sealer did not catch up within a minute of retries');
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  return { sealed, seconds: round(seconds), perSecond: Math.round(sealed / seconds) };
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
