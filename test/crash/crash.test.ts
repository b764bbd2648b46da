/**
 * The crash campaign (`npm run test:crash`): the compiled service on a PostgreSQL
 * cluster of its own, under mixed load from terminals, the desk, door controllers and
 * an admin, crashed again and again — SIGKILL of the service and `pg_ctl stop -m
 * immediate` of the database, in turn — while clients retry what went unanswered
 * with the same Idempotency-Key. After every round the database is held to what the
 * clients were told (checks.ts). Not part of `npm test`.
 *
 * Environment: CRASH_ROUNDS (default 20), CRASH_SEED (default random; printed),
 * CRASH_E2E=required (missing PostgreSQL binaries fail instead of skipping), PG_BIN
 * (where initdb is), CRASH_PAYERS, CRASH_RECOVERY_MS.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type CheckContext, checkRound } from './checks';
import { RetryingClient, type RetryCause } from './client';
import { findPostgres, freePort, tailOf, TempCluster } from './cluster';
import { buildFixture, cents, type Fixture } from './fixture';
import { Book, Load, type LoadShape } from './load';
import { Random } from './random';
import { repoRoot } from '../../bench/payments/paths';
import { CrashService, sleep } from './service';

const ROUNDS = positive('CRASH_ROUNDS', 20);
const SEED = positive('CRASH_SEED', Math.floor(Math.random() * 2 ** 31));
const PAYERS = positive('CRASH_PAYERS', 40);
const RECOVERY_MS = positive('CRASH_RECOVERY_MS', 300_000);
const REQUIRED = process.env.CRASH_E2E === 'required';
const DATABASE = 'ccard_crash';

const SHAPE: LoadShape = { paymentLoops: 8, topUpLoops: 2, refundLoops: 2, doorLoops: 2 };
const FIXTURE = { merchants: 4, payers: PAYERS, doorOnly: 4, initialTopUpCents: 200_000, allowanceCents: 100, fundingCents: 100_000_00 };

const postgres = findPostgres();
const say = (line: string) => process.stderr.write(`${line}\n`);

if ('missing' in postgres && !REQUIRED) {
  say(`\ncrash campaign skipped: ${postgres.missing}. Install PostgreSQL 15+ (or set PG_BIN), or set CRASH_E2E=required to make this a failure.\n`);
}

const run = 'missing' in postgres && !REQUIRED ? test.skip : test;

describe('crash campaign', () => {
  let cluster: TempCluster | undefined;
  let service: CrashService | undefined;
  let http: RetryingClient | undefined;
  const cleanUp = () => {
    service?.killNow();
    cluster?.remove();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    cleanUp();
    process.kill(process.pid, signal);
  };

  beforeAll(() => {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', cleanUp);
  });

  afterAll(async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanUp);
    // After a timeout the test body may still have loops retrying: they give up now.
    http?.close();
    await service?.stop().catch(() => undefined);
    cluster?.remove();
  });

  run(
    `${ROUNDS} rounds of crashes under load lose and duplicate nothing`,
    async () => {
      if ('missing' in postgres) throw new Error(`CRASH_E2E=required, but ${postgres.missing}`);
      const main = join(repoRoot(), 'dist', 'src', 'main.js');
      if (!existsSync(main)) throw new Error(`${main} is missing: npm run test:crash builds it (npm run build)`);
      const started = performance.now();
      const rnd = new Random(SEED);
      const runId = SEED.toString(36);

      cluster = await TempCluster.create(postgres, DATABASE);
      const databaseUrl = cluster.url(DATABASE);
      const logFile = join(cluster.dir, 'service.log');
      service = new CrashService(await freePort(), { databaseUrl, logFile, dataDir: join(cluster.dir, 'service-data') });
      say(`\ncrash campaign: ${ROUNDS} rounds, seed ${SEED} (CRASH_SEED=${SEED} replays the choices), PostgreSQL ${postgres.version} in ${cluster.dir} on port ${cluster.port}, service on ${service.port}`);
      await service.start(RECOVERY_MS);

      const svc = service;
      const serviceLog = new LogWatch(logFile);
      http = new RetryingClient(() => svc.baseUrl, { attemptTimeoutMs: 20_000, giveUpMs: RECOVERY_MS });
      const fx = await buildFixture(http, service.adminKey, FIXTURE, runId);
      const book = new Book();
      registerFixture(book, fx);
      say(`fixture: ${fx.merchants.length} merchants, ${fx.payers.length} paying residents (${cents(FIXTURE.initialTopUpCents)} each), ${fx.doorOnly.length} door-only residents, ${fx.doors.length} doors, 1 allowance program`);

      const anomalies: string[] = [];
      const totals = { payments: 0, declines: 0, topUps: 0, refusedTopUps: 0, refunds: 0, disbursements: 0, doorChecks: 0 };
      const retriesAtStart = { ...http.retryCauses };
      let roundsDone = 0;
      let transactions = 0;

      for (let round = 1; round <= ROUNDS; round++) {
        const roundStart = performance.now();
        const kind = round % 2 === 1 ? 'service' : 'database';
        const before = anomalies.length;
        const retriesBefore = { ...http.retryCauses };
        const replayedBefore = http.replayedAfterRetry;
        const exitsBefore = svc.unexpectedExits.length;
        const anomaly = (message: string) => {
          anomalies.push(`round ${round} (${kind} crash): ${message}`);
        };

        const crashAt = rnd.int(300, 2500);
        const load = new Load(http, fx, book, rnd, runId, round, anomaly);
        load.start(SHAPE, rnd.int(0, crashAt + 1000));
        await sleep(crashAt);

        const crashed = performance.now();
        const crashedAt = new Date();
        let down = 0;
        let recovered = true;
        try {
          if (kind === 'service') {
            await svc.kill();
            await svc.start(RECOVERY_MS);
          } else {
            await cluster.stopImmediate();
            down = rnd.int(0, 3000);
            await sleep(down);
            await cluster.start();
            await svc.waitHealthy(RECOVERY_MS);
          }
        } catch (err) {
          anomaly(`no recovery: ${(err as Error).message}`);
          recovered = false;
        }
        const recoverySeconds = (performance.now() - crashed) / 1000;
        // Load goes on for a while after the recovery, on the restarted service or the reconnected pool.
        if (recovered) await sleep(rnd.int(1000, 2500));
        await load.stop();

        for (const exit of svc.unexpectedExits.slice(exitsBefore)) anomaly(`the service died on its own: ${exit}`);
        if (!svc.running) {
          // It died by itself (reported above): start it again, so that the campaign can look at the data.
          await svc.start(RECOVERY_MS).catch((err) => anomaly(`could not start the service again: ${(err as Error).message}`));
        }
        const ctx: CheckContext = { http, service: svc, databaseUrl, fx, book, rnd, round, crashedAt, recoveryMs: RECOVERY_MS, anomaly };
        const figures = recovered || svc.running ? await checkRound(ctx).catch((err) => (anomaly(`the checks could not run: ${(err as Error).stack}`), null)) : null;
        roundsDone = round;
        transactions = figures?.transactions ?? transactions;

        const c = load.counts;
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += c[k];
        const retries = diff(http.retryCauses, retriesBefore);
        const logged = serviceLog.read();
        say(
          `round ${String(round).padStart(2)}/${ROUNDS} ${kind.padEnd(8)} crash at ${(crashAt / 1000).toFixed(2)} s${kind === 'database' ? `, down ${(down / 1000).toFixed(2)} s` : ''}, recovered in ${recoverySeconds.toFixed(1)} s | ` +
            `acknowledged: payments ${c.payments} (+${c.declines} declined), top-ups ${c.topUps}${c.refusedTopUps ? ` (+${c.refusedTopUps} refused)` : ''}, refunds ${c.refunds}, disbursements ${c.disbursements} | ` +
            `door checks ${c.doorChecks} | retries ${sum(retries)} ${formatCauses(retries)}, ${http.replayedAfterRetry - replayedBefore} answered by replay | service log: ${logged} errors | ledger ${figures?.transactions ?? '?'} transactions, chain ${figures?.chainLength ?? '?'} | ` +
            `anomalies ${anomalies.length - before} | ${((performance.now() - roundStart) / 1000).toFixed(1)} s`,
        );
        for (const a of anomalies.slice(before, before + 10)) say(`  ! ${a}`);
        if (anomalies.length - before > 10) say(`  ! ... and ${anomalies.length - before - 10} more`);
        if (!figures) break;
      }

      const retries = diff(http.retryCauses, retriesAtStart);
      say(
        `\ncrash campaign total: ${roundsDone} rounds (seed ${SEED}), acknowledged payments ${totals.payments} (+${totals.declines} declined), top-ups ${totals.topUps}` +
          `${totals.refusedTopUps ? ` (+${totals.refusedTopUps} refused)` : ''}, refunds ${totals.refunds}, disbursements ${totals.disbursements}, door checks ${totals.doorChecks}, ` +
          `retries ${sum(retries)} ${formatCauses(retries)}, ${http.replayedAfterRetry} answered by replay, ledger transactions ${transactions}, anomalies ${anomalies.length}, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
      say(serviceLog.summary());
      if (anomalies.length > 0) say(`logs kept in ${keepLogs(cluster, logFile, SEED)}`);

      await svc.stop();
      expect(roundsDone).toBe(ROUNDS);
      expect(anomalies).toEqual([]);
    },
    (ROUNDS * 600 + 600) * 1000,
  );
});

/** The fixture's top-ups and the program's funding are answered money requests too: the books and the idempotency check know them. */
function registerFixture(book: Book, fx: Fixture): void {
  for (const t of fx.topUps) {
    const card = fx.residents.find((r) => r.id === t.residentId)!;
    book.sent.push({
      kind: 'top_up',
      path: '/v1/top-ups',
      apiKey: fx.desk.key,
      apiKeyId: fx.desk.keyId,
      idempotencyKey: t.key,
      body: { cardId: card.cardId, amount: cents(t.cents), method: 'cash' },
      status: 201,
      answerId: t.id,
      round: 0,
    });
  }
  book.sent.push({
    kind: 'funding',
    path: `/v1/subsidy-programs/${fx.programId}/funding`,
    apiKey: fx.admin.key,
    apiKeyId: fx.admin.keyId,
    idempotencyKey: fx.funding.key,
    body: { amount: cents(fx.funding.cents) },
    status: 201,
    answerId: fx.funding.id,
    round: 0,
  });
}

/** The cluster folder goes at the end; the logs of a failed campaign are copied out first. */
function keepLogs(cluster: TempCluster, serviceLog: string, seed: number): string {
  const dir = join(tmpdir(), `ccard-crash-logs-${seed}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  for (const file of [serviceLog, cluster.logFile]) {
    try {
      copyFileSync(file, join(dir, file.split('/').pop()!));
    } catch {
      // not written
    }
  }
  say(tailOf(serviceLog, 2000));
  return dir;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

function diff(now: Record<RetryCause, number>, before: Record<RetryCause, number>): Record<RetryCause, number> {
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as RetryCause]])) as Record<RetryCause, number>;
}

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

function formatCauses(r: Record<RetryCause, number>): string {
  const parts = Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? `(${parts.join(', ')})` : '';
}

/**
 * Errors the service logged (pino level 50 and up), round by round: not anomalies in
 * themselves (a crashed database makes requests fail, and that is logged), but what
 * the service said while it recovered.
 */
class LogWatch {
  private offset = 0;
  private readonly messages = new Map<string, number>();

  constructor(private readonly file: string) {}

  /** Errors logged since the last call. */
  read(): number {
    let text: Buffer;
    try {
      text = readFileSync(this.file);
    } catch {
      return 0;
    }
    const fresh = text.subarray(this.offset).toString('utf8');
    const end = fresh.lastIndexOf('\n') + 1;
    this.offset += Buffer.byteLength(fresh.slice(0, end));
    let errors = 0;
    for (const line of fresh.slice(0, end).split('\n')) {
      const level = /"level":(\d+)/.exec(line);
      if (!level || Number(level[1]) < 50) continue;
      errors++;
      const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 120);
      const err = /"message":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
      const what = err ? `${msg}: ${err.slice(0, 120)}` : msg;
      this.messages.set(what, (this.messages.get(what) ?? 0) + 1);
    }
    return errors;
  }

  summary(): string {
    this.read();
    if (this.messages.size === 0) return 'service log: no errors';
    const top = [...this.messages].sort((a, b) => b[1] - a[1]).slice(0, 8);
    return `service log errors, most frequent first:\n${top.map(([m, n]) => `  ${String(n).padStart(5)} × ${m}`).join('\n')}`;
  }
}
