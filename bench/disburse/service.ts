import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './paths';

/**
 * The compiled service (`node dist/src/main.js`) as a child process, configured only
 * through its environment, as an operator would run it.
 */
export class Service {
  readonly adminKey = `bench_admin_${randomBytes(24).toString('base64url')}`;
  readonly baseUrl: string;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly exited: Promise<number | null>;
  private stopped = false;
  /** Log lines at warn (40) or above, counted for the report. */
  readonly problems = { warnings: 0, errors: 0, samples: [] as string[] };
  private partial = '';

  private constructor(
    readonly port: number,
    databaseUrl: string,
    readonly logFile: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.log = createWriteStream(logFile);
    this.child = spawn(process.execPath, [join(repoRoot(), 'dist', 'src', 'main.js')], {
      cwd: repoRoot(),
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        ADMIN_API_KEY: this.adminKey,
        LOG_LEVEL: 'warn',
        // Set explicitly so the service writes no secret file into the working tree's DATA_DIR.
        ID_NUMBER_KEY: randomBytes(32).toString('hex'),
        DATA_DIR: join(repoRoot(), 'bench', 'results', '.service-data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.record(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static async start(databaseUrl: string, logFile: string): Promise<Service> {
    const service = new Service(await freePort(), databaseUrl, logFile);
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

  private async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`the service exited with code ${exitCode} before it was healthy; see ${this.logFile}`);
      try {
        if ((await fetch(`${this.baseUrl}/health`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`the service was not healthy within ${timeoutMs / 1000} s; see ${this.logFile}`);
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
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private record(chunk: Buffer): void {
    this.log.write(chunk);
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line);
      if (!level || Number(level[1]) < 40) continue;
      if (Number(level[1]) >= 50) this.problems.errors++;
      else this.problems.warnings++;
      if (this.problems.samples.length < 10) this.problems.samples.push(line.slice(0, 500));
    }
  }
}

export interface HttpAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

/** One JSON request; answers whatever the status, with the wall time from sending to the whole body read. */
export async function call<T = unknown>(baseUrl: string, method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T, ms };
}

/** Like `call`, but anything other than a 2xx is an error. */
export async function ok<T = unknown>(baseUrl: string, method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const a = await call<T>(baseUrl, method, path, key, body, idempotencyKey);
  if (a.status < 200 || a.status >= 300) throw new Error(`${method} ${path} answered ${a.status}: ${JSON.stringify(a.body).slice(0, 500)}`);
  return a.body;
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
