import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { migrateLatest } from '../../src/db/migrations';
import { ageOn } from '../../src/subsidies/eligibility';
import { buildMix } from '../access/mix';
import { seedAccess } from '../access/seed';
import { log, redact } from '../common';
import { ScratchDatabases } from '../ledger/databases';
import { urlForDatabase } from '../ledger/options';
import { machineFacts } from '../ledger/report';
import { Api } from '../payments/api';
import { startCpuMeter } from '../payments/cpu';
import { buildFixture } from '../payments/fixture';
import type { LatencySummary, LoadResult } from '../payments/load';
import { repoRoot, resultsDir } from '../payments/paths';
import { ServiceProcess, sleep, tail } from '../payments/service';
import { measureCapacity, measureMixCapacity, type SoakCapacity } from './capacity';
import { soakMoney, type SoakMoney } from './checks';
import { mergeCells, PacedClient, type Cell } from './load';
import { SoakMix } from './mix';
import { CAPACITY_CONNECTIONS, CAPACITY_SECONDS, MIX_SHARES, readSoakOptions, UNKNOWN_CARD_SHARE, type KindName, type SoakOptions } from './options';
import { heapProbeSocket } from './probe-path';
import { printReport, writeResult, type Disbursement, type SoakResult } from './report';
import { heapAfterGc, Sampler, type HeapAfterGc, type Sample } from './sampler';
import { failures, figures, latencyVerdict, memoryVerdict, minuteRows, type Check, type IntervalRow, type KindFigures } from './verdict';

/** Tables whose rows the service updates in place (balances, running sums, idempotency outcomes, the sealer's cursor). */
const CHURNING_TABLES = ['idempotency_keys', 'ledger_balances', 'merchant_day_totals', 'ledger_sealer', 'subsidy_discount_uses', 'cards'];

const SHANGHAI_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/**
 * A load soak: SOAK_SECONDS of a fixed-rate mix of payments, door checks, reads,
 * top-ups, refunds and the odd disbursement against the compiled service on a scratch
 * PostgreSQL database, sampled every 10 s, with a verdict on memory, latency, errors
 * and money at the end.
 */
async function main(): Promise<void> {
  const options = readSoakOptions();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const runTag = `s${randomBytes(4).toString('hex')}`;
  const dbs = new ScratchDatabases(options.serverUrl);
  let service: ServiceProcess | null = null;
  let db: Knex | null = null;
  let client: PacedClient | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await client?.stop(0).catch(() => undefined);
      await service?.stop().catch((err: Error) => console.error(`could not stop the service: ${err.message}`));
      // The heap probe removes its socket when the service exits normally, not when a signal ends it.
      if (service) rmSync(heapProbeSocket(service.pid), { force: true });
      await db?.destroy();
      await dbs.dropAll();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the service and dropping the soak database`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const logFile = join(resultsDir(), `soak-${stamp}.service.log`);
  try {
    const machine0 = machineFacts(await dbs.serverFacts());
    const name = await dbs.create(`ccard_bench_soak_${stamp}`);
    db = dbs.connect(name, 2);
    log(`load average ${machine0.loadAverageAtStart.join(' ')}; created ${name}; migrating and seeding the door world`);
    await migrateLatest(db);
    // Doors first, straight into the tables (bench/access's seed): the service loads its door index when it starts.
    const seeded = await seedAccess(db, { cards: options.doorCards, lockedCards: options.doorLockedCards, doors: options.doors });
    log(`  ${JSON.stringify(seeded.rows)} in ${seeded.seconds.toFixed(1)} s`);

    service = await ServiceProcess.start({
      databaseUrl: urlForDatabase(options.serverUrl, name),
      logFile,
      nodeArgs: ['--expose-gc', '--require', join(__dirname, 'heap-probe.js'), ...options.serviceNodeArgs],
    });
    const s = service;
    const api = new Api(s.baseUrl);
    log(`service pid ${s.pid} on ${s.baseUrl}; building the payments fixture over HTTP (${options.cards} cards, ${options.merchants} merchants)`);
    const fixture = await buildFixture(api, s.adminKey, { cards: options.cards, merchants: options.merchants, concurrency: 32 }, log);
    const setup = await prepare(db, api, s.adminKey, options, fixture.uids, seeded.world);
    await db.raw('VACUUM ANALYZE');
    log(`operator key, ${setup.doorKeys} door keys, ${setup.doorChecks.length} door checks; program ${setup.programId} funded with ${setup.funded} (minAge ${setup.minAge})`);

    const ownPostgres = async () => {
      const { rows } = await db!.raw<{ rows: { pid: number }[] }>(`SELECT pid FROM pg_stat_activity WHERE datname = ? OR backend_type <> 'client backend'`, [name]);
      return new Set(rows.map((r) => r.pid));
    };
    const mix = new SoakMix({ uids: fixture.uids, cardIds: setup.cardIds, merchants: fixture.merchants, operatorKey: setup.operatorKey, doorChecks: setup.doorChecks, runTag });
    let capacity: SoakCapacity | null = null;
    if (options.paymentRate === null) {
      log(`measuring the payment capacity: bench:payments' spread scenario, ${CAPACITY_CONNECTIONS} connections, ${CAPACITY_SECONDS} s`);
      const merchantKeys = fixture.merchants.map((m) => m.key);
      const spread = await measureCapacity(db, { baseUrl: s.baseUrl, pid: s.pid, uids: fixture.uids, merchantKeys, runTag, ownPostgres }, { seconds: CAPACITY_SECONDS, connections: CAPACITY_CONNECTIONS });
      log(`  ${spread.approvedPerSecond.toFixed(1)} approved/s (p99 ${spread.p99Ms.toFixed(1)} ms), reconciled ${spread.reconciliation.ok ? 'ok' : 'NO'}`);
      log(`measuring the payment capacity with the mix: the mix at ${Math.round(spread.approvedPerSecond)} payments/s for ${CAPACITY_SECONDS} s after 5 s`);
      const withMix = await measureMixCapacity(s.baseUrl, mix, Math.round(spread.approvedPerSecond), { ...options, seconds: CAPACITY_SECONDS });
      log(`  ${withMix.paymentsPerSecond.toFixed(1)} payments/s answered, ${withMix.requestsPerSecond.toFixed(1)} requests/s in all`);
      capacity = { spread, mix: withMix };
      await sleep(5000); // let the backlog and WAL settle before the measured load
    }
    const paymentRate = options.paymentRate ?? Math.round(capacity!.mix.paymentsPerSecond / 2);
    const paymentRateSource = capacity ? `half of the ${capacity.mix.paymentsPerSecond.toFixed(1)} payments/s measured with the mix at the start` : 'SOAK_PAYMENT_RATE';

    const kinds = mix.kinds(paymentRate);
    const rates = Object.fromEntries(kinds.map((k) => [k.name, Math.round(k.rate * 100) / 100])) as Record<KindName, number>;
    client = new PacedClient(s.baseUrl, kinds, { ...options });
    const sampler = new Sampler(s.baseUrl, s.pid, db, name);
    const samples: Sample[] = [];
    const sampleFailures: string[] = [];
    const gc: HeapAfterGc[] = [];
    const disbursements: Disbursement[] = [];
    const disbursing: Promise<void>[] = [];
    const disbursementWindows: { from: number; to: number }[] = [];

    const c = client;
    const measured = () => c.measuredMs() / 1000;
    const until = async (second: number) => {
      const wait = second * 1000 - c.measuredMs();
      if (wait > 0) await sleep(wait);
    };
    const probe = async (t: number) => {
      try {
        gc.push(await heapAfterGc(s.pid, t));
      } catch (err) {
        sampleFailures.push(`heap probe at ${t} s: ${(err as Error).message}`);
      }
    };
    const disburse = (k: number) => {
      const period = `${2000 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
      const at = measured();
      const t0 = performance.now();
      disbursing.push(
        api
          .post<{ recipients: number; total: string }>(`/v1/subsidy-programs/${setup.programId}/disbursements`, s.adminKey, { period }, `${runTag}-disburse.${k}`)
          .then((r) => disbursements.push({ at: round(at, 1), ms: performance.now() - t0, period, ok: true, recipients: r.recipients, total: r.total }))
          .catch((err: Error) => disbursements.push({ at: round(at, 1), ms: performance.now() - t0, period, ok: false, error: err.message.slice(0, 300) }))
          // This machine's PostgreSQL runs with autovacuum off (CI's setting): analyse the 10,000
          // new allowance lots as autovacuum would on a live server, or the planner keeps the
          // statistics of an empty table and payments' lot look-ups go wrong.
          .then(() => db!.raw('ANALYZE subsidy_wallets, ledger_accounts, ledger_balances'))
          .then(() => {
            disbursementWindows.push({ from: at, to: measured() + 1 });
            log(`  disbursement ${period}: ${JSON.stringify(disbursements[disbursements.length - 1])}`);
          }),
      );
    };

    // The conductor: samples at every interval's end, heap-after-GC probes, disbursements.
    type Event = { t: number; order: number; run: () => Promise<void> | void };
    const events: Event[] = [];
    const n = client.intervals.length;
    for (let i = 1; i <= n; i++) {
      const t = Math.min(i * options.sampleSeconds, options.seconds);
      events.push({
        t,
        order: 0,
        run: async () => {
          try {
            samples.push(await sampler.take(t, c.inFlight));
          } catch (err) {
            sampleFailures.push(`sample at ${t} s: ${(err as Error).message}`);
          }
        },
      });
    }
    const gcTimes = new Set<number>();
    for (let t = 0; t < options.seconds; t += options.gcEverySeconds) gcTimes.add(t);
    gcTimes.add(options.seconds);
    for (const t of gcTimes) events.push({ t, order: 1, run: () => probe(t) });
    if (options.disburseEverySeconds > 0) {
      for (let k = 0, t = options.disburseFirstSecond; t < options.seconds; k++, t += options.disburseEverySeconds) events.push({ t, order: 2, run: () => disburse(k) });
    }
    // Autovacuum is off on this machine's server (CI's setting); a production server vacuums the
    // tables updated in place as they churn. Without it, ten minutes of payments leave hundreds of
    // thousands of dead row versions in idempotency_keys and the running-sum rows.
    const vacuums: { at: number; ms: number }[] = [];
    const vacuum = async () => {
      const at = measured();
      const t0 = performance.now();
      // On a connection of its own, paced as autovacuum paces itself (autovacuum_vacuum_cost_delay 2 ms);
      // an unpaced VACUUM takes the disk and a core for a second or two at a time.
      const client = new Client({ connectionString: urlForDatabase(options.serverUrl, name) });
      await client.connect();
      try {
        await client.query(`SET vacuum_cost_delay = '2ms'`);
        await client.query(`VACUUM (ANALYZE) ${CHURNING_TABLES.join(', ')}`);
      } finally {
        await client.end();
      }
      vacuums.push({ at: round(at, 1), ms: Math.round(performance.now() - t0) });
    };
    for (let t = options.vacuumEverySeconds; options.vacuumEverySeconds > 0 && t < options.seconds; t += options.vacuumEverySeconds) events.push({ t, order: 3, run: () => void vacuum().catch((err: Error) => sampleFailures.push(`vacuum at ${t} s: ${err.message}`)) });
    events.sort((a, b) => a.t - b.t || a.order - b.order);

    const total = sum(Object.values(rates));
    log(`load: ${options.warmupSeconds} s warm-up, then ${options.seconds} s measured; ${paymentRate} payments/s (${paymentRateSource}), ${total.toFixed(1)} requests/s offered ${JSON.stringify(rates)}`);
    const wholeCpu = startCpuMeter(s.pid);
    client.start();
    await until(0);
    sampler.reset();
    log(`measuring`);
    for (const e of events) {
      await until(e.t);
      await e.run();
      if (e.order === 0 && (e.t % 60 === 0 || e.t === options.seconds)) progress(client, samples[samples.length - 1], e.t, options.sampleSeconds);
    }
    log('stopping the load; draining open requests');
    const stop = await client.stop();
    const cpu = wholeCpu(await ownPostgres());
    sampler.stop();
    await Promise.all(disbursing);

    // Figures.
    const kindNames = kinds.map((k) => k.name);
    const disbursementIn = (i: number) => disbursementWindows.some((w) => w.from < (i + 1) * options.sampleSeconds && w.to > i * options.sampleSeconds);
    const rows: IntervalRow[] = client.intervals.map((cells, i) => {
      const seconds = Math.min(options.sampleSeconds, options.seconds - i * options.sampleSeconds);
      const t = Math.min((i + 1) * options.sampleSeconds, options.seconds);
      return {
        t,
        disbursement: disbursementIn(i),
        kinds: Object.fromEntries([...cells].map(([k, cell]) => [k, figures(cell, seconds)])),
        all: figures(mergeCells([...cells.values()]), seconds),
        sample: samples.find((x) => x.t === t) ?? null,
      };
    });
    const phase = (cells: (Map<KindName, Cell> | undefined)[], seconds: number): Record<string, KindFigures> =>
      Object.fromEntries(kindNames.map((k) => [k, figures(mergeCells(cells.map((m) => m?.get(k))), seconds)]));
    const totals = {
      warmup: phase([client.warmup], Math.max(1, options.warmupSeconds)),
      measured: phase(client.intervals, options.seconds),
      tail: phase([client.tail], 1),
    };

    log('checking the money and verifying the ledger');
    let money: SoakMoney | null = null;
    let moneyError: string | null = null;
    try {
      money = await soakMoney(db, api, s.adminKey, {
        runTag,
        payments: paymentsLoad(client, mix, options, paymentRate, cpu),
        refunds: mix.refunds,
        topUps: mix.topUps,
        disbursementsAnswered: disbursements.filter((d) => d.ok).length,
        funded: setup.funded,
        fixtureTopUps: fixture.topUpTotal,
      });
    } catch (err) {
      moneyError = (err as Error).message;
      console.error(err);
    }
    await s.stop();
    const serviceLogs = s.logs;

    // Verdict.
    const memory = memoryVerdict(samples, gc.filter((g) => g.t >= Math.min(options.gcEverySeconds, options.seconds)), options.seconds, options.thresholds);
    const latency = latencyVerdict(client.intervals, rows, options.sampleSeconds, ['payment', 'doorCheck', 'all'], options.thresholds);
    const everything = [...Object.values(totals.warmup), ...Object.values(totals.measured), ...Object.values(totals.tail)];
    const bad = {
      unexpected: sum(everything.map((f) => f.unexpected)),
      errors: sum(everything.map((f) => f.errors)),
      timeouts: sum(everything.map((f) => f.timeouts)),
      dropped: sum(everything.map((f) => f.dropped)),
      unanswered: stop.unansweredAfterDrain,
      disbursementsFailed: disbursements.filter((d) => !d.ok).length,
      serviceLogWarnings: serviceLogs.warnings,
      serviceLogErrors: serviceLogs.errors,
    };
    const server5xx = sum(everything.map((f) => sum(Object.entries(f.statuses).map(([st, k]) => (Number(st) >= 500 ? k : 0)))));
    const errorsCheck: Check = {
      name: 'errors zero',
      rule:
        'over warm-up, measured part and draining: no socket error, timeout or unanswered request, no request dropped for a full client, no answer other than the expected one ' +
        '(201 or 200; 402 only for the intended unknown-card payments; door checks byte-exact), every disbursement 201, no warning or error in the service log',
      measured: `${Object.entries(bad)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} (5xx among the unexpected: ${server5xx})`,
      pass: Object.values(bad).every((v) => v === 0),
    };
    const moneyCheck: Check = {
      name: 'money reconciles',
      rule: "approved payments, refunds and top-ups in the database under this run's keys = the 201s answered (+ unanswered ones found done); disbursements; books per account group; GET /v1/ledger/verify ok",
      measured: money
        ? `${capacity ? `capacity run ${capacity.spread.reconciliation.ok ? 'ok' : 'NOT OK'}, ` : ''}payments ${money.payments.dbApproved} = ${money.payments.clientApproved} ${money.payments.ok ? 'ok' : 'NOT OK'}, refunds ${money.refunds.ok ? 'ok' : 'NOT OK'}, top-ups ${money.topUps.ok ? 'ok' : 'NOT OK'}, disbursements ${money.disbursements.ok ? 'ok' : 'NOT OK'}, books ${money.books.ok ? 'ok' : 'NOT OK'}, verify ${money.whole.verify.ok ? 'ok' : 'NOT OK'}`
        : `could not check: ${moneyError}`,
      // The capacity run's payments are in the books above; its own reconciliation counts too.
      pass: money?.ok === true && (capacity === null || capacity.spread.reconciliation.ok),
    };
    const checks = [memory.rss.check, memory.heapAfterGc.check, ...Object.values(latency.byKind).map((k) => k.check), errorsCheck, moneyCheck];

    const result: SoakResult = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...options, serverUrl: redact(options.serverUrl), paymentRate, paymentRateSource },
      capacity,
      machine: { ...machine0, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      source: sourceFacts(),
      setup: {
        door: { rows: seeded.rows, seconds: seeded.seconds, keys: setup.doorKeys, checksInPool: setup.doorChecks.length },
        payments: { cards: options.cards, merchants: options.merchants, fixtureSeconds: fixture.seconds, fixtureTopUps: fixture.topUpTotal },
        program: { id: setup.programId, minAge: setup.minAge, amount: options.disburseAmount, funded: setup.funded },
        runTag,
        serviceLog: logFile,
      },
      mix: { shares: { ...MIX_SHARES }, ratesPerSecond: rates, unknownCardShare: UNKNOWN_CARD_SHARE, disburseEverySeconds: options.disburseEverySeconds, disburseFirstSecond: options.disburseFirstSecond },
      totals,
      intervals: rows,
      minutes: minuteRows(client.intervals, rows, gc, options.sampleSeconds, kindNames),
      heapAfterGc: gc,
      disbursements,
      vacuums,
      client: { maxInFlightSeen: client.maxInFlightSeen, maxBacklog: client.maxBacklog, openAtStop: stop.openAtStop, unansweredAfterDrain: stop.unansweredAfterDrain, samples: client.samples, sampleFailures },
      money,
      serviceLogs,
      verdict: { memory, latency, checks, pass: checks.every((x) => x.pass) },
    };
    printReport(result);
    console.log(`\nwrote ${writeResult(result, stamp)} (service log: ${logFile})`);
    if (!result.verdict.pass) process.exitCode = 1;
  } catch (err) {
    console.error(err);
    const logTail = tail(logFile);
    if (logTail) console.error(`\nlast lines of the service log (${logFile}):\n${logTail}`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

interface Setup {
  operatorKey: string;
  cardIds: string[];
  doorKeys: number;
  doorChecks: ReturnType<typeof buildMix>;
  programId: string;
  minAge: number;
  funded: string;
}

/**
 * What the mix needs beyond the two fixtures: an operator key for top-ups, the payment
 * cards' ids, door keys (at most 1,000 doors each) and the checks they make, and an
 * allowance program for canteens that every payment card's resident is eligible for,
 * funded for every disbursement the run will make.
 */
async function prepare(db: Knex, api: Api, adminKey: string, options: SoakOptions, uids: string[], world: Parameters<typeof buildMix>[0]): Promise<Setup> {
  const operatorKey = (await api.post<{ key: string }>('/v1/api-keys', adminKey, { role: 'operator', name: 'soak desk' })).key;
  const { rows } = await db.raw<{ rows: { id: string; uid: string; birth: string }[] }>(
    `SELECT c.id, c.uid, r.birth_date::text AS birth FROM cards c JOIN residents r ON r.id = c.resident_id WHERE c.uid = ANY(?::text[])`,
    [uids],
  );
  const byUid = new Map(rows.map((r) => [r.uid, r]));
  const cardIds = uids.map((u) => {
    const r = byUid.get(u);
    if (!r) throw new Error(`card ${u} of the fixture is not in the database`);
    return r.id;
  });

  const keys: string[] = [];
  for (let from = 0; from < options.doors; from += options.doorsPerKey) {
    const doorIds = Array.from({ length: Math.min(options.doorsPerKey, options.doors - from) }, (_, k) => world.doorId(from + k));
    keys.push((await api.post<{ key: string }>('/v1/api-keys', adminKey, { role: 'door', name: `soak controllers ${keys.length + 1}`, doorIds })).key);
  }
  const doorChecks = buildMix(world, options.doorCheckPool, (j) => keys[Math.floor(j / options.doorsPerKey)], new Set());

  // Eligible: everyone at least as old as the youngest payment card holder (some door residents are, too).
  const youngest = rows.reduce((max, r) => (r.birth > max ? r.birth : max), '0000-00-00');
  const minAge = ageOn(youngest, SHANGHAI_DAY.format(new Date()));
  const program = await api.post<{ id: string }>('/v1/subsidy-programs', adminKey, {
    name: '浸泡测试 长者助餐补贴',
    kind: 'allowance',
    merchantCategories: ['canteen'],
    eligibility: { minAge },
    amount: options.disburseAmount,
    validDays: 30,
  });
  const planned = options.disburseEverySeconds > 0 ? Math.max(0, Math.ceil((options.seconds - options.disburseFirstSecond) / options.disburseEverySeconds)) : 0;
  const residents = options.cards + options.doorCards + options.doorLockedCards;
  const funded = new Decimal(options.disburseAmount)
    .times(residents)
    .times(planned + 1)
    .toFixed(2);
  await api.post(`/v1/subsidy-programs/${program.id}/funding`, adminKey, { amount: funded }, `soak-fund-${program.id}`);
  return { operatorKey, cardIds, doorKeys: keys.length, doorChecks, programId: program.id, minAge, funded };
}

/** The payments as bench/payments' reconcile() wants them: what the client was told, and the keys it never heard back about. */
function paymentsLoad(client: PacedClient, mix: SoakMix, options: SoakOptions, paymentRate: number, cpu: LoadResult['cpu']): LoadResult {
  const cells = [client.warmup, ...client.intervals, client.tail].map((m) => m.get('payment'));
  const all = mergeCells(cells);
  const seconds = options.warmupSeconds + options.seconds;
  return {
    id: 'pay',
    title: `soak payments at ${paymentRate}/s`,
    expectedStatus: 201,
    connections: options.sockets,
    offeredRate: paymentRate,
    seconds,
    sent: mix.payments.sent,
    answered: all.answered,
    approved: mix.payments.ok,
    approvedPerSecond: Math.round((mix.payments.ok / seconds) * 10) / 10,
    approvedAmount: (mix.payments.okCents / 100).toFixed(2),
    declined: all.statuses['402'] ?? 0,
    statusCounts: all.statuses,
    errors: all.errors,
    timeouts: all.timeouts,
    latencyMs: latencySummary(all.latencies),
    autocannonLatencyMs: null,
    instances: 1,
    otherSamples: client.samples.filter((x) => x.includes(' payment ')).slice(0, 5),
    cpu,
    unanswered: [...mix.payments.pending].map(([key, cents]) => ({ key, cents })),
  };
}

function latencySummary(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)], 2);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: round(sorted[sorted.length - 1], 2), mean: round(sum(values) / values.length, 2) };
}

function progress(client: PacedClient, s: Sample | undefined, t: number, sampleSeconds: number): void {
  const i = Math.ceil(t / sampleSeconds) - 1;
  const cells = client.intervals[Math.max(0, Math.min(client.intervals.length - 1, i))];
  const pay = cells?.get('payment');
  const all = mergeCells(cells ? [...cells.values()] : []);
  const p99 = pay ? Float64Array.from(pay.latencies).sort()[Math.max(0, Math.ceil(0.99 * pay.latencies.length) - 1)] : NaN;
  log(
    `  t=${t} s: last interval ${all.answered} answered, payment p99 ${p99?.toFixed(1)} ms, bad ${failures(all)}; RSS ${mbText(s?.metrics?.residentBytes ?? s?.procRssBytes)} MB, heap ${mbText(s?.metrics?.heapUsedBytes)} MB, open ${client.inFlight}; ` +
      `service ${s?.cpu.servicePercent ?? '-'}%, postgres ${s?.cpu.postgresPercent ?? '-'}%, others ${s?.cpu.otherPercent ?? '-'}%`,
  );
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

function mbText(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : (bytes / (1024 * 1024)).toFixed(1);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
