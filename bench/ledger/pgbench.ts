import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCpuMeter, type CpuUse } from './cpu';
import { cliConnection } from './options';

const run = promisify(execFile);
const PGBENCH = '/usr/bin/pgbench';
/** Scale 16: one branch per client at the default 16 clients, so tpcb-like's branch row is not itself the bottleneck. */
const SCALE = 16;

export interface PgbenchResult {
  command: string;
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
  /** "tps = ... (without initial connection time)" */
  tps: number;
  latencyAverageMs: number | null;
  transactions: number | null;
  failed: number | null;
  version: string;
  /** clientPercent is this Node process (idle while pgbench runs); machineBusyPercent includes pgbench and the server. */
  cpu: CpuUse;
}

/** pgbench's built-in tpcb-like script: the server's own idea of small write transactions per second. */
export async function runPgbench(serverUrl: string, database: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const { conn, env } = connection(serverUrl);
  const version = (await run(PGBENCH, ['--version'])).stdout.trim();
  const threads = Math.min(2, clients);
  const args = [...conn, '-c', String(clients), '-j', String(threads), '-T', String(seconds), '-M', 'prepared', database];
  const cpuMeter = startCpuMeter();
  const { stdout } = await run(PGBENCH, args, { env, maxBuffer: 16 << 20 });
  const cpu = cpuMeter();
  const tps = number(stdout, /tps = ([\d.]+) \(without initial connection time\)/);
  if (tps === null) throw new Error(`could not find tps in pgbench output:\n${stdout}`);
  return {
    command: `pgbench ${args.join(' ')}`,
    scale: SCALE,
    clients,
    threads,
    seconds,
    tps,
    latencyAverageMs: number(stdout, /latency average = ([\d.]+) ms/),
    transactions: number(stdout, /number of transactions actually processed: (\d+)/),
    failed: number(stdout, /number of failed transactions: (\d+)/),
    version,
    cpu,
  };
}

/** Creates and fills pgbench's tables (pgbench -i), separately so the caller can checkpoint before the run. */
export async function initPgbench(serverUrl: string, database: string): Promise<void> {
  const { conn, env } = connection(serverUrl);
  await run(PGBENCH, [...conn, '-i', '-q', '-s', String(SCALE), database], { env, maxBuffer: 16 << 20 });
}

function connection(serverUrl: string): { conn: string[]; env: NodeJS.ProcessEnv } {
  const { args, password } = cliConnection(serverUrl);
  return { conn: args, env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

function number(text: string, pattern: RegExp): number | null {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : null;
}
