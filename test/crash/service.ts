import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../bench/payments/paths';

/**
 * The compiled service (`node dist/src/main.js`) as a child process, as in
 * bench/payments/service.ts, but restartable: every start uses the same port, admin
 * key, ID-number key and data folder, as an operator's restart of one instance would,
 * so terminals keep their address and keys across a crash.
 */
export class CrashService {
  readonly adminKey = `crash_admin_${randomBytes(24).toString('base64url')}`;
  private readonly idNumberKey = randomBytes(32).toString('hex');
  readonly baseUrl: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private killing = false;
  /** Exits nobody asked for (a crash of the service itself), with their codes. */
  readonly unexpectedExits: string[] = [];
  starts = 0;

  constructor(
    readonly port: number,
    private readonly options: { databaseUrl: string; logFile: string; dataDir: string; env?: Record<string, string> },
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the service and resolves once GET /health answers 200. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new Error('the service is already running');
    const main = join(repoRoot(), 'dist', 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    // Appended: one log across every start, so a finding can be read in order.
    const out = openSync(this.options.logFile, 'a');
    const child = spawn(process.execPath, [main], {
      cwd: repoRoot(),
      env: {
        PATH: process.env.PATH,
        PORT: String(this.port),
        DATABASE_URL: this.options.databaseUrl,
        ADMIN_API_KEY: this.adminKey,
        ID_NUMBER_KEY: this.idNumberKey,
        DATA_DIR: this.options.dataDir,
        LOG_LEVEL: 'warn',
        // The campaign's terminals send as fast as they get answers: a per-key rate limit would only slow it down.
        RATE_LIMIT_PER_SECOND: '0',
        ...this.options.env,
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child = child;
    this.starts += 1;
    this.killing = false;
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        if (!this.killing) this.unexpectedExits.push(`pid ${child.pid} exited by itself (${signal ?? `code ${code}`})`);
        done();
      }),
    );
    await this.waitHealthy(timeoutMs);
  }

  /** The crash: SIGKILL, no shutdown hooks, whatever is in flight is lost with the process. */
  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.killing = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop at the end of the campaign (SIGTERM; SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (!this.child || !this.running) return;
    this.killing = true;
    const child = this.child;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** For an exit handler: no waiting. */
  killNow(): void {
    if (this.running) {
      this.killing = true;
      this.child!.kill('SIGKILL');
    }
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** GET /health answers 200 once the database is reachable and migrated. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the service exited before it was healthy; see ${this.options.logFile}`);
      if (await this.healthy()) return;
      await sleep(100);
    }
    throw new Error(`the service was not healthy within ${timeoutMs / 1000} s; see ${this.options.logFile}`);
  }
}


export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
