import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, openSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './paths';

export interface ServiceOptions {
  databaseUrl: string;
  /** Where the child's stdout and stderr go, whole, for reading after the run. */
  logFile: string;
  /** Set: load the profiler preload, which writes a .cpuprofile here on request (see profiler-preload.ts). */
  profileFile?: string;
  /** Extra `node` flags, before the script. */
  nodeArgs?: string[];
  /** The service's LOG_LEVEL; default `warn` (request logs, at info, stay off the hot path). */
  logLevel?: string;
  /**
   * The child writes its output straight into `logFile` instead of through a pipe to this
   * process: at LOG_LEVEL=info that is one line per request, which this process (also the
   * load generator) should not have to carry. Warnings and errors are then counted from
   * the file when the service stops.
   */
  logDirect?: boolean;
}

/** Warnings and errors the service logged (pino levels 40 and up), kept for the report. */
export interface ServiceLogSummary {
  warnings: number;
  errors: number;
  samples: string[];
}

/**
 * The compiled service (`node dist/src/main.js`) as a child process, configured only
 * through its environment, as an operator would run it.
 */
export class ServiceProcess {
  readonly adminKey = `bench_admin_${randomBytes(24).toString('base64url')}`;
  readonly baseUrl: string;
  private readonly child: ChildProcess;
  private readonly log: WriteStream | null;
  private readonly logSummary: ServiceLogSummary = { warnings: 0, errors: 0, samples: [] };
  private exited: Promise<number | null>;
  private partialLine = '';
  private stopped = false;

  private constructor(
    readonly port: number,
    private readonly options: ServiceOptions,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.log = options.logDirect ? null : createWriteStream(options.logFile);
    const output = options.logDirect ? openSync(options.logFile, 'w') : 'pipe';
    const args = [...(options.nodeArgs ?? []), ...(options.profileFile ? ['--require', join(__dirname, 'profiler-preload.js')] : []), join(repoRoot(), 'dist', 'src', 'main.js')];
    this.child = spawn(process.execPath, args, {
      cwd: repoRoot(),
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        ADMIN_API_KEY: this.adminKey,
        // Request logs are at info: warn keeps one line per request off the hot path, as in production tuning.
        LOG_LEVEL: options.logLevel ?? 'warn',
        // The load generator speaks for a whole district's terminals through a few keys; a real key's limit would cap it.
        RATE_LIMIT_PER_SECOND: '0',
        // Set explicitly so the service writes no secret file into the working tree's DATA_DIR.
        ID_NUMBER_KEY: randomBytes(32).toString('hex'),
        DATA_DIR: join(repoRoot(), 'bench', 'results', '.service-data'),
        ...(options.profileFile ? { BENCH_PROFILE_FILE: options.profileFile } : {}),
      },
      // The IPC channel only when profiling: it is how the bench starts and stops the profiler.
      stdio: options.profileFile ? ['ignore', output, output, 'ipc'] : ['ignore', output, output],
    });
    if (typeof output === 'number') closeSync(output);
    this.child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static async start(options: ServiceOptions): Promise<ServiceProcess> {
    const service = new ServiceProcess(await freePort(), options);
    try {
      await service.waitHealthy();
    } catch (err) {
      await service.stop();
      throw err;
    }
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get logs(): ServiceLogSummary {
    return { ...this.logSummary, samples: [...this.logSummary.samples] };
  }

  /** GET /health answers 200 once the database is reachable and migrated. */
  private async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`the service exited with code ${exitCode} before it was healthy; see ${this.options.logFile}`);
      try {
        const res = await fetch(`${this.baseUrl}/health`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`the service was not healthy within ${timeoutMs / 1000} s; see ${this.options.logFile}`);
  }

  /** Starts the sampling profiler in the service (see profiler-preload.ts); resolves once it runs. */
  async startProfiler(): Promise<void> {
    await this.ask({ profiler: 'start' }, 'profilerStarted');
  }

  /** Stops the profiler; resolves once the service has written the profile to `profileFile`. */
  async stopProfiler(): Promise<void> {
    await this.ask({ profiler: 'stop' }, 'profileWritten');
  }

  private ask(message: object, answer: string): Promise<void> {
    if (!this.options.profileFile || !this.child.send) throw new Error('the service was not started with the profiler');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not answer ${JSON.stringify(message)} within 30 s`)), 30_000);
      const onMessage = (m: Record<string, unknown>) => {
        if (m.profilerError) reject(new Error(`profiler: ${String(m.profilerError)}`));
        else if (!(answer in m)) return;
        else resolve();
        clearTimeout(timer);
        this.child.off('message', onMessage);
      };
      this.child.on('message', onMessage);
      this.child.send!(message);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.log) await new Promise<void>((resolve) => this.log!.end(resolve));
    else this.countLogFile();
  }

  /** With logDirect: the warnings and errors in the log file, found without parsing every line. */
  private countLogFile(): void {
    let text: Buffer;
    try {
      text = readFileSync(this.options.logFile);
    } catch {
      return;
    }
    for (const level of ['"level":40', '"level":50', '"level":60']) {
      for (let at = text.indexOf(level); at >= 0; at = text.indexOf(level, at + 1)) {
        const start = text.lastIndexOf(10, at) + 1;
        const end = text.indexOf(10, at);
        this.record(text.subarray(start, end < 0 ? text.length : end + 1));
      }
    }
  }

  private record(chunk: Buffer): void {
    this.log?.write(chunk);
    const lines = (this.partialLine + chunk.toString('utf8')).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line);
      if (!level) continue;
      const n = Number(level[1]);
      if (n >= 50) this.logSummary.errors++;
      else if (n >= 40) this.logSummary.warnings++;
      else continue;
      if (this.logSummary.samples.length < 10) this.logSummary.samples.push(line.slice(0, 500));
    }
  }
}

/** Bytes of the child's log, for a failure message. */
export function tail(file: string, bytes = 4000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
