import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { migrateLatest } from '../../src/db/migrations';
import { log, redact } from '../common';
import { ScratchDatabases } from '../ledger/databases';
import { urlForDatabase } from '../ledger/options';
import { machineFacts } from '../ledger/report';
import { mapLimited } from '../payments/api';
import { repoRoot, resultsDir } from '../payments/paths';
import { ServiceProcess, sleep, tail } from '../payments/service';
import { runLoad, type LoadResult, type LoadSpec } from './load';
import { buildMix, MIX, revocationResidents, type CheckRequest } from './mix';
import { readAccessBenchOptions, type AccessBenchOptions } from './options';
import { breakDownProfile, type ProfileBreakdown } from './profile-breakdown';
import { alarmsOf, decisionsPerSecond, evaluateTargets, median, printReport, writeResult, type AccessBenchResult, type Round } from './report';
import { post as postKeptAlive, revocationTrials, type TrialCard } from './revocation';
import { seedAccess } from './seed';

/**
 * Door decisions per second through the running service (compiled, a child process, on
 * a fresh PostgreSQL database with 100,000 cards and 2,000 doors), next to a bare
 * node:http server answering a fixed JSON body under the same autocannon load in the
 * same run; p99 at a fixed offered rate; and how long a lock on one instance takes to
 * be denied by a second instance on the same database.
 */
async function main(): Promise<void> {
  const options = readAccessBenchOptions();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  const dbs = new ScratchDatabases(options.serverUrl);
  const services: ServiceProcess[] = [];
  let bare: BareServer | null = null;
  let db: Knex | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await bare?.stop();
      for (const s of services) await s.stop().catch((err: Error) => console.error(`could not stop a service: ${err.message}`));
      await db?.destroy();
      await dbs.dropAll();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the servers and dropping the bench database`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const logFile = (name: string) => join(resultsDir(), `access-${stamp}.${name}.service.log`);
  const profileFile = join(resultsDir(), `access-${stamp}.cpuprofile`);
  const serviceLogs: AccessBenchResult['serviceLogs'] = {};
  const stopService = async (name: string, s: ServiceProcess) => {
    await s.stop();
    serviceLogs[name] = { ...s.logs, ...trimLog(logFile(name), options.keepLogs) };
  };
  try {
    const machine0 = machineFacts(await dbs.serverFacts());
    const benchDb = await dbs.create(`ccard_bench_access_${stamp}`);
    db = dbs.connect(benchDb, 2);
    const databaseUrl = urlForDatabase(options.serverUrl, benchDb);
    log(`load average ${machine0.loadAverageAtStart.join(' ')}; created ${benchDb}; migrating and seeding`);
    await migrateLatest(db);
    const seeded = await seedAccess(db, { cards: options.cards, lockedCards: options.lockedCards, doors: options.doors });
    const world = seeded.world;
    log(`seeded ${JSON.stringify(seeded.rows)} in ${seeded.seconds.toFixed(1)} s`);

    const start = async (name: string, logLevel: string, profile = false) => {
      const s = await ServiceProcess.start({ databaseUrl, logFile: logFile(name), logLevel, logDirect: true, nodeArgs: options.serviceNodeArgs, ...(profile ? { profileFile } : {}) });
      services.push(s);
      return s;
    };
    const a = await start('a', options.logLevel, options.cpuProfile);
    log(`service A pid ${a.pid} on ${a.baseUrl} (LOG_LEVEL=${options.logLevel})`);

    // Door keys through the API, as an installer would: at most 1,000 doors each.
    const keys: string[] = [];
    for (let from = 0; from < options.doors; from += options.doorsPerKey) {
      const doorIds = Array.from({ length: Math.min(options.doorsPerKey, options.doors - from) }, (_, k) => world.doorId(from + k));
      keys.push((await post<{ key: string }>(a.baseUrl, '/v1/api-keys', a.adminKey, { role: 'door', name: `bench controllers ${keys.length + 1}`, doorIds })).key);
    }
    const keyOfDoor = (j: number) => keys[Math.floor(j / options.doorsPerKey)];
    const reserved = revocationResidents(world, options.trials);
    const pool = buildMix(world, options.requestPool, keyOfDoor, new Set(reserved));
    const mix: Record<string, number> = {};
    for (const r of pool) mix[r.kind] = (mix[r.kind] ?? 0) + 1;
    log(`${keys.length} door keys of up to ${options.doorsPerKey} doors; ${pool.length} distinct checks in the mix ${JSON.stringify(mix)}`);

    const verification = await verify(a.baseUrl, pool.slice(0, Math.min(pool.length, 3000)));
    log(`verified ${verification.checked} answers one by one: ${verification.mismatched} differ from the expected`);

    bare = await BareServer.start();
    log(`bare node:http server pid ${bare.pid} on ${bare.baseUrl}`);

    const ownPostgres = async () => {
      const { rows } = await db!.raw<{ rows: { pid: number }[] }>(`SELECT pid FROM pg_stat_activity WHERE datname = ? OR backend_type <> 'client backend'`, [benchDb]);
      return new Set(rows.map((r) => r.pid));
    };
    const throughput = (target: 'bare' | 'service', id: string, url: string, pid: number, seconds = options.seconds): LoadSpec => ({
      id,
      title: `${target === 'bare' ? 'bare node:http, fixed JSON body' : 'POST /v1/access/check'}, ${options.connections} connections, pipelining ${options.pipelining}, ${seconds} s`,
      target,
      baseUrl: url,
      requests: pool,
      connections: options.connections,
      pipelining: options.pipelining,
      seconds,
      serverPid: pid,
      ...(target === 'service' ? { ownPostgres } : {}),
    });
    let serviceAnswered = verification.checked;
    let cutOff = 0;
    const lookups: AccessBenchResult['keyLookups'] = {};
    const measure = async (spec: LoadSpec): Promise<LoadResult> => {
      await dbs.checkpoint();
      log(`${spec.id}: ${spec.title}`);
      const scans0 = await keyLookups(db!);
      const r = await runLoad(spec);
      // PostgreSQL publishes a backend's table statistics within a second or so of its transactions.
      if (spec.target === 'service') {
        await sleep(1200);
        const n = (await keyLookups(db!)) - scans0;
        lookups[spec.id] = { total: n, perSecond: Math.round((n / r.seconds) * 10) / 10 };
      }
      if (spec.target === 'service' && spec.baseUrl === a.baseUrl) {
        serviceAnswered += r.answered;
        cutOff += spec.connections * spec.pipelining;
      }
      log(
        `  ${r.perSecond.toFixed(0)} answers/s${spec.target === 'service' ? ` (${decisionsPerSecond(r).toFixed(0)} decisions/s)` : ''}, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms (from the 2nd second: ${r.steadyLatencyMs.p99.toFixed(2)}), ` +
          `statuses ${JSON.stringify(r.statusCounts)}${lookups[spec.id] ? `, api_keys look-ups ${lookups[spec.id].perSecond}/s` : ''}, server cpu ${r.cpu.servicePercent}%, autocannon ${r.cpu.benchPercent}%, machine ${r.cpu.machineBusyPercent}/${r.cpu.cores * 100}, other ${r.cpu.otherPercent}%`,
      );
      return r;
    };

    log(`warm-up: ${options.warmupSeconds} s each, not measured`);
    await runLoad(throughput('bare', 'warmup-bare', bare.baseUrl, bare.pid, options.warmupSeconds));
    const warm = await runLoad(throughput('service', 'warmup-service', a.baseUrl, a.pid, options.warmupSeconds));
    serviceAnswered += warm.answered;
    cutOff += options.connections * options.pipelining;

    const rounds: Round[] = [];
    for (let i = 1; i <= options.rounds; i++) {
      const b = await measure(throughput('bare', `bare-${i}`, bare.baseUrl, bare.pid));
      const s = await measure(throughput('service', `service-${i}`, a.baseUrl, a.pid));
      rounds.push({ bare: b, service: s, ratio: Math.round((decisionsPerSecond(s) / b.perSecond) * 1000) / 1000 });
    }
    const accessLog = await checkAccessLog(db, serviceAnswered, cutOff);
    log(`access log: ${accessLog.rows} rows for ${accessLog.answered} answered checks (+ up to ${accessLog.unansweredAtStop} cut off): ${accessLog.ok ? 'ok' : 'NOT OK'}`);

    // The same offered rate against the bare server first: what this load generator and machine add to any latency.
    const rateSpec = (staggered: boolean, target: 'bare' | 'service'): LoadSpec => ({
      id: `rate${staggered ? '' : '-aligned'}${target === 'bare' ? '-bare' : ''}`,
      title:
        `${target === 'bare' ? 'bare node:http, ' : ''}${options.rate}/s offered (autocannon overallRate) over ${options.rateConnections} connections, ${options.rateSeconds} s, ` +
        (staggered ? 'one instance per connection, starts spread over a second' : 'one stock autocannon instance (every quota released at the top of each second)'),
      target,
      baseUrl: target === 'bare' ? bare!.baseUrl : a.baseUrl,
      requests: pool,
      connections: options.rateConnections,
      pipelining: 1,
      seconds: options.rateSeconds,
      overallRate: options.rate,
      staggered,
      checkAnswers: target === 'service',
      serverPid: target === 'bare' ? bare!.pid : a.pid,
      ...(target === 'service' ? { ownPostgres } : {}),
    });
    const rateBare = await measure(rateSpec(true, 'bare'));
    const rate = await measure(rateSpec(true, 'service'));
    const rateAlignedBare = options.rateAligned ? await measure(rateSpec(false, 'bare')) : null;
    const rateAligned = options.rateAligned ? await measure(rateSpec(false, 'service')) : null;
    await bare.stop();
    bare = null;

    log(`revocation: starting instance B on the same database`);
    const b = await start('b', options.logLevel);
    log(`service B pid ${b.pid} on ${b.baseUrl}; ${options.trials} trials`);
    const trialCards: TrialCard[] = reserved.map((i) => {
      const door = world.door(world.communityOf(i), 0)!;
      return { cardId: world.cardId(i), doorId: world.doorId(door), uid: world.uid(i), doorKey: `Bearer ${keyOfDoor(door)}` };
    });
    const revocation = await revocationTrials(a.baseUrl, b.baseUrl, a.adminKey, trialCards);
    log(`  median ${revocation.denyMs.p50.toFixed(2)} ms, max ${revocation.denyMs.max.toFixed(2)} ms over ${revocation.completed.length} trials; ${revocation.failed.length} failed`);
    await stopService('b', b);

    let warn: LoadResult | null = null;
    if (options.compareWarn && options.logLevel !== 'warn') {
      const w = await start('warn', 'warn');
      log(`service W (LOG_LEVEL=warn) pid ${w.pid} on ${w.baseUrl}, for what request logging costs`);
      await runLoad(throughput('service', 'warmup-warn', w.baseUrl, w.pid, options.warmupSeconds));
      warn = await measure({ ...throughput('service', 'service-warn', w.baseUrl, w.pid), ownPostgres });
      await stopService('warn', w);
    }

    let profiled: LoadResult | null = null;
    let profile: ProfileBreakdown | null = null;
    if (options.cpuProfile) {
      await a.startProfiler();
      profiled = await measure(throughput('service', 'service-profiled', a.baseUrl, a.pid));
      await a.stopProfiler();
      profile = breakDownProfile(profileFile, profiled.answered);
    }
    await stopService('a', a);

    const result: AccessBenchResult = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: pick(options),
      machine: { ...machine0, cpuModelFromProcCpuinfo: cpuModel(), loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      source: sourceFacts(),
      seed: { rows: seeded.rows, seconds: seeded.seconds, doorKeys: keys.length, doorsPerKey: options.doorsPerKey },
      mix: Object.fromEntries(Object.entries(MIX).map(([k]) => [k, mix[k] ?? 0])),
      verification,
      rounds,
      decisionsPerSecond: median(rounds.map((r) => decisionsPerSecond(r.service))),
      barePerSecond: median(rounds.map((r) => r.bare.perSecond)),
      ratio: median(rounds.map((r) => r.ratio)),
      rateBare,
      rate,
      rateAlignedBare,
      rateAligned,
      warn,
      accessLog,
      keyLookups: lookups,
      revocation,
      profiled,
      profile,
      serviceLogs,
      targets: [],
      alarms: [],
    };
    result.targets = evaluateTargets(result);
    result.alarms = alarmsOf(result);
    printReport(result);
    console.log(`\nwrote ${writeResult(result, stamp)}${profile ? ` and ${profileFile}` : ''}`);
    if (result.alarms.length > 0) process.exitCode = 1;
  } catch (err) {
    console.error(err);
    for (const name of ['a', 'b', 'warn']) {
      const t = tail(logFile(name), 3000);
      if (t) console.error(`\nlast lines of service ${name}'s log (${logFile(name)}):\n${t}`);
    }
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/** The bare node:http server (bare-server.ts) as a child process. */
class BareServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<BareServer> {
    const child = spawn(process.execPath, [join(__dirname, 'bare-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        const line = text.split('\n')[0];
        if (text.includes('\n')) resolve((JSON.parse(line) as { listening: number }).listening);
      });
      child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
    });
    return new BareServer(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

async function post<T>(baseUrl: string, path: string, key: string, body: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Each check of the sample once, 16 at a time, compared byte for byte with the expected answer. */
async function verify(baseUrl: string, sample: CheckRequest[]): Promise<AccessBenchResult['verification']> {
  const samples: string[] = [];
  let mismatched = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    await mapLimited(sample, 16, async (r) => {
      const res = await postKeptAlive(agent, baseUrl, r.path, r.headers.authorization, r.body);
      if (res.status !== 200 || res.body !== r.expected) {
        mismatched++;
        if (samples.length < 5) samples.push(`${r.kind}: expected ${r.expected}, got ${res.status} ${res.body.slice(0, 200)}`);
      }
    });
  } finally {
    agent.destroy();
  }
  return { checked: sample.length, mismatched, samples };
}

/** Index scans and sequential scans of api_keys so far: one per key look-up (the key cache's misses), on every instance. */
async function keyLookups(db: Knex): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: string }[] }>(`SELECT (coalesce(idx_scan, 0) + coalesce(seq_scan, 0))::text AS n FROM pg_stat_user_tables WHERE relname = 'api_keys'`);
  return Number(rows[0]?.n ?? 0);
}

/** The access log is written behind the answers: wait until its row count stops moving, then compare. */
async function checkAccessLog(db: Knex, answered: number, unansweredAtStop: number): Promise<AccessBenchResult['accessLog']> {
  let rows = -1;
  for (let i = 0; i < 50; i++) {
    await sleep(300);
    const n = Number(((await db.raw('SELECT count(*) AS n FROM access_events')) as { rows: { n: string }[] }).rows[0].n);
    if (n === rows) break;
    rows = n;
  }
  return { rows, answered, unansweredAtStop, ok: rows >= answered && rows <= answered + unansweredAtStop };
}

/** Keeps the first 64 KB of a service log unless asked to keep it whole: at info it is a line per check. */
function trimLog(file: string, keep: boolean): { bytes: number; kept: string } {
  let bytes = 0;
  try {
    bytes = statSync(file).size;
  } catch {
    return { bytes: 0, kept: 'none' };
  }
  if (keep || bytes <= 1 << 20) return { bytes, kept: 'whole' };
  const head = readFileSync(file).subarray(0, 64 * 1024);
  writeFileSync(file, Buffer.concat([head, Buffer.from(`\n[... ${bytes - head.length} more bytes not kept; BENCH_KEEP_LOGS=1 keeps the whole log]\n`)]));
  return { bytes, kept: 'first 64 KB' };
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
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

function pick(o: AccessBenchOptions): Record<string, unknown> {
  const { serverUrl, ...rest } = o;
  return { ...rest, server: redact(serverUrl) };
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
