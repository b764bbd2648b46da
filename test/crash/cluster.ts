import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * A PostgreSQL cluster of the campaign's own: `initdb` into a temporary folder, served
 * on a free port of 127.0.0.1, durable as a production server is (fsync and
 * synchronous_commit on), stopped with `pg_ctl stop -m immediate` to simulate a crash
 * and removed at the end. It never touches the machine's shared server.
 *
 * When the tests run as root, PostgreSQL refuses to: initdb, pg_ctl and postgres then
 * run as the `postgres` OS user (`runuser -u postgres --`), which owns the folder.
 */
export class TempCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  port = 0;
  private removed = false;

  private constructor(
    readonly binDir: string,
    private readonly runAs: { user: string; uid: number; gid: number } | null,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'ccard-crash-'));
    this.dataDir = join(this.dir, 'pgdata');
    this.logFile = join(this.dir, 'postgres.log');
    if (runAs) chownSync(this.dir, runAs.uid, runAs.gid);
  }

  /** Creates and starts the cluster, with one empty database `name` in it. */
  static async create(found: PostgresBinaries, database: string): Promise<TempCluster> {
    const cluster = new TempCluster(found.binDir, found.runAs);
    try {
      cluster.initdb();
      for (let attempt = 1; ; attempt++) {
        cluster.port = await freePort();
        cluster.configure();
        try {
          await cluster.start();
          break;
        } catch (err) {
          // Another process may have taken the port between our probe and the server's bind.
          if (attempt >= 3) throw err;
        }
      }
      const admin = new Client({ connectionString: cluster.url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${database}`);
      } finally {
        await admin.end();
      }
      return cluster;
    } catch (err) {
      cluster.remove();
      throw err;
    }
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections (crash recovery included). */
  start(): Promise<void> {
    return this.pgctl(['start', '-w', '-t', '120', '-l', this.logFile]);
  }

  /**
   * The crash: every server process is sent SIGQUIT and exits without a checkpoint or
   * a clean shutdown, as when the server process dies (the machine stays up, so what was
   * written reaches the disk). The next start runs crash recovery from the WAL.
   * Asynchronous, so the clients in this process keep sending while it happens.
   */
  stopImmediate(): Promise<void> {
    return this.pgctl(['stop', '-m', 'immediate', '-w', '-t', '60']);
  }

  /** Stops the server if it runs and deletes the folder. Safe to call more than once, and from an exit handler. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      try {
        this.pgctlSync(['stop', '-m', 'immediate', '-w', '-t', '30']);
      } catch {
        // not running after all, or already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private initdb(): void {
    const initdb = join(this.binDir, 'initdb');
    const [file, args] = this.command(initdb, ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions']);
    execFileSync(file, args, { stdio: 'pipe', cwd: this.dir });
  }

  /** Written before every start attempt: the port may change; the last setting in the file wins. */
  private configure(): void {
    const settings = [
      `port = ${this.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${this.dir}'`,
      // Durability as in production: a commit that was acknowledged survives the crash.
      'fsync = on',
      'synchronous_commit = on',
      'full_page_writes = on',
      'max_connections = 100',
      'shared_buffers = 64MB',
      // The crash campaign kills the server on purpose: its log is for reading afterwards, not for noise.
      'log_min_messages = warning',
      'log_connections = off',
      'log_disconnections = off',
    ];
    appendFileSync(join(this.dataDir, 'postgresql.conf'), `\n# crash campaign\n${settings.join('\n')}\n`);
  }

  private pgctl(args: string[]): Promise<void> {
    const [file, argv] = this.command(join(this.binDir, 'pg_ctl'), ['-D', this.dataDir, ...args]);
    return new Promise((resolve, reject) => {
      // pg_ctl start leaves the server running with our pipes unless its output goes elsewhere: it writes to -l.
      const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`pg_ctl ${args[0]} failed (${code ?? signal}): ${output}\n${tailOf(this.logFile)}`));
      });
    });
  }

  private pgctlSync(args: string[]): void {
    const [file, argv] = this.command(join(this.binDir, 'pg_ctl'), ['-D', this.dataDir, ...args]);
    const run = spawnSync(file, argv, { encoding: 'utf8', cwd: this.dir });
    if (run.status !== 0) throw new Error(`pg_ctl ${args[0]} failed (${run.status ?? run.signal}): ${run.stderr || run.stdout}`);
  }

  /** Run from the cluster's folder: the postgres user may not be allowed into the working directory. */
  private command(file: string, args: string[]): [string, string[]] {
    return this.runAs ? ['runuser', ['-u', this.runAs.user, '--', file, ...args]] : [file, args];
  }
}

export interface PostgresBinaries {
  binDir: string;
  version: number;
  runAs: { user: string; uid: number; gid: number } | null;
}

/**
 * Where initdb is: PG_BIN if set, else the newest /usr/lib/postgresql/<version>/bin,
 * else the PATH. Returns why not when it cannot be used.
 */
export function findPostgres(): PostgresBinaries | { missing: string } {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^[0-9]+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(debian, v, 'bin'));
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) candidates.push(join(onPath, '..'));
  const binDir = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'postgres')));
  if (!binDir) return { missing: 'initdb/pg_ctl/postgres not found (looked in PG_BIN, /usr/lib/postgresql/<version>/bin and the PATH)' };

  const versionText = spawnSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const version = Number(/\b([0-9]+)(\.[0-9]+)?/.exec(versionText)?.[1] ?? 0);
  if (version < 15) return { missing: `PostgreSQL 15 or newer is needed, found ${versionText.trim() || 'an unknown version'} in ${binDir}` };

  let runAs: PostgresBinaries['runAs'] = null;
  if (process.getuid?.() === 0) {
    const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    const uid = id('-u');
    const gid = id('-g');
    if (uid.status !== 0 || gid.status !== 0) return { missing: 'running as root, but there is no `postgres` OS user to run the server as' };
    if (spawnSync('sh', ['-c', 'command -v runuser'], { stdio: 'ignore' }).status !== 0) return { missing: 'running as root, but runuser is missing' };
    runAs = { user: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return { binDir, version, runAs };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tailOf(file: string, bytes = 3000): string {
  try {
    const text = execFileSync('tail', ['-c', String(bytes), file], { encoding: 'utf8' });
    return text ? `--- last lines of ${file} ---\n${text}` : '';
  } catch {
    return '';
  }
}
