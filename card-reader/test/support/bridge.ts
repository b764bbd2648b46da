import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pcscd } from './pcscd';
import type { VirtualCard } from './virtual-card';

/** The repository root: found upwards, since this file also runs compiled, from dist/ (the reader benchmark). */
export const ROOT = (() => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'card-reader', 'bin', 'card-reader.js'))) return dir;
  throw new Error(`no card-reader/bin/card-reader.js above ${__dirname}`);
})();
const BIN = join(ROOT, 'card-reader', 'bin', 'card-reader.js');

export interface BridgeEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * The bridge as a desk runs it, `card-reader <mode> --json`, in a child process; its
 * stdout read as JSON events.
 */
export class BridgeProcess {
  readonly events: BridgeEvent[] = [];
  /** performance.now() when each event's line arrived. */
  readonly arrivals: number[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private partial = '';

  constructor(args: string[], env: Record<string, string>) {
    ensureBuilt();
    this.child = spawn(process.execPath, [BIN, ...args, '--json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.wake());
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The number of events so far: wait for events after this point with waitFor(…, mark). */
  mark(): number {
    return this.events.length;
  }

  /** The first event from index `from` on that matches; fails with what was printed if none comes within `ms`. */
  async waitFor(match: (e: BridgeEvent) => boolean, from = 0, ms = 30_000): Promise<BridgeEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the bridge exited without the event awaited\n${this.transcript()}`);
      if (Date.now() > deadline) throw new Error(`the awaited event did not come within ${ms} ms\n${this.transcript()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.add(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  event(name: string, from = 0): Promise<BridgeEvent> {
    return this.waitFor((e) => e.event === name, from);
  }

  /** Puts the card on pcscd's reader, keeps it there until the bridge has printed the awaited event, takes it off. */
  tap(pcscd: Pcscd, card: VirtualCard, match: (e: BridgeEvent) => boolean): Promise<BridgeEvent> {
    const from = this.mark();
    return pcscd.tap(card, () => this.waitFor(match, from));
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  transcript(): string {
    return `--- stdout ---\n${this.events.map((e) => JSON.stringify(e)).join('\n')}${this.partial}\n--- stderr ---\n${this.stderr}`;
  }

  private onStdout(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        this.events.push(JSON.parse(line) as BridgeEvent);
      } catch {
        this.events.push({ event: 'unparsed', line });
      }
      this.arrivals.push(performance.now());
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}

/**
 * Compiles card-reader when its sources are newer than dist/, as `npm start` does for the
 * service; a lock directory keeps two jest workers from compiling at once.
 */
export function ensureBuilt(): void {
  const entry = join(ROOT, 'card-reader', 'dist', 'cli.js');
  // tsc rewrites only what changed: compare with the newest output, not with cli.js.
  const stale = () => !existsSync(entry) || newest(join(ROOT, 'card-reader', 'src'), '.ts') > newest(join(ROOT, 'card-reader', 'dist'), '.js');
  if (!stale()) return;
  const lock = join(tmpdir(), `card-reader-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmdirSync(lock);
      execFileSync('sleep', ['0.1']);
    }
  }
  try {
    if (stale()) execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'card-reader', 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmdirSync(lock);
  }
}

function newest(dir: string, ext: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(path, ext));
    else if (entry.name.endsWith(ext) && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) t = Math.max(t, statSync(path).mtimeMs);
  }
  return t;
}
