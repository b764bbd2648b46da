import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Debouncer } from './debounce';
import { findReaderLibrary, missingReaderLibrary } from './dependency';
import { pcscdProblem, probePcscd } from './pcscd';
import type { CardOp, FromWorker, ToWorker } from './worker-protocol';

export interface Tap {
  reader: string;
  /** Upper-case hex, no separators: the way the service prints UIDs. */
  uid: string;
  atr: string;
}

export type BridgeEvent =
  | { type: 'reader'; name: string }
  | { type: 'reader-removed'; name: string }
  | { type: 'tap'; tap: Tap }
  | { type: 'refused'; reader: string; atr: string; reason: string }
  | { type: 'short-tap'; reader: string; detail: string }
  | { type: 'pcsc-lost'; message: string }
  | { type: 'pcsc-back' }
  | { type: 'warning'; message: string };

/** The reader side cannot start; `message` says what to do about it. */
export class ReaderSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReaderSetupError';
  }
}

export interface ReaderBridgeOptions {
  socketPath: string;
  /** Only readers whose name contains this (case-insensitive). */
  readerFilter?: string;
  debounceMs: number;
  onEvent: (event: BridgeEvent) => void;
  /** How long NFC's construction (pcscd's first answer) may take before it counts as hung. */
  readyTimeoutMs?: number;
  /** How often to look for pcscd again after it went away. */
  probeIntervalMs?: number;
  opTimeoutMs?: number;
}

interface PendingOp {
  resolve: (data: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The readers, seen from the main process: a forked worker (reader-worker.ts) runs
 * nfc-pcsc; this side checks pcscd is there before starting it, kills it when it hangs,
 * replaces it when pcscd comes back after dying, debounces taps and runs card operations.
 */
export class ReaderBridge {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, PendingOp>();
  private readonly debouncer: Debouncer;
  private nextId = 1;
  private stopping = false;
  private lost = false;
  readonly readers = new Set<string>();

  constructor(private readonly opts: ReaderBridgeOptions) {
    this.debouncer = new Debouncer(opts.debounceMs);
  }

  /** Resolves once pcscd has answered the worker; ReaderSetupError when it cannot, within about 2 s. */
  async start(): Promise<void> {
    const missing = findReaderLibrary();
    if (missing) throw new ReaderSetupError(missingReaderLibrary(missing));
    const probe = await probePcscd(this.opts.socketPath);
    if (!probe.ok) throw new ReaderSetupError(pcscdProblem(this.opts.socketPath, probe.code));
    await this.spawnWorker();
  }

  /** Runs an operation on the card that is on `op.reader` now. */
  op(op: CardOp): Promise<Buffer> {
    const child = this.child;
    if (!child || this.lost) return Promise.reject(new Error('the reader service is not available'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the card did not answer in time'));
      }, this.opts.opTimeoutMs ?? 5000);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ type: 'op', id, op } satisfies ToWorker);
    });
  }

  /**
   * Closes the readers and NFC in the worker (the order nfc-pcsc needs), killing it if that
   * hangs. 'closed': it shut down by itself; 'killed': it had to be killed.
   */
  async stop(): Promise<'closed' | 'killed' | 'none'> {
    this.stopping = true;
    this.failPending('the bridge is stopping');
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 'none';
    const exited = new Promise<'closed' | 'killed'>((resolve) => child.once('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 'killed' : 'closed')));
    if (child.connected) child.send({ type: 'shutdown' } satisfies ToWorker);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const how = await exited;
    clearTimeout(timer);
    return how;
  }

  private spawnWorker(): Promise<void> {
    const child = fork(join(__dirname, 'reader-worker.js'), [this.opts.readerFilter ?? ''], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const fail = (message: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new ReaderSetupError(message));
      };
      // Starting Node and loading nfc-pcsc may be slow on a busy machine; that is no reason to give up.
      let timer = setTimeout(() => fail('the reader worker did not start within 20 s'), 20_000);
      child.on('message', (m: FromWorker) => {
        if (m.type === 'loaded') {
          clearTimeout(timer);
          // nfc-pcsc's constructor spins, never returning, while pcscd does not answer.
          timer = setTimeout(() => fail(pcscdProblem(this.opts.socketPath, 'ETIMEDOUT')), this.opts.readyTimeoutMs ?? 2000);
        } else if (m.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          this.child = child;
          resolve();
        } else if (m.type === 'fatal') {
          fail(m.message);
        } else if (ready && this.child === child) {
          this.handle(m);
        }
      });
      child.on('exit', (code, signal) => {
        if (!ready) {
          clearTimeout(timer);
          reject(new ReaderSetupError(`the reader worker stopped before it was ready (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
        } else if (this.child === child) {
          this.workerLost(`the reader worker stopped (${signal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
        }
      });
    });
  }

  private handle(m: FromWorker): void {
    const emit = this.opts.onEvent;
    switch (m.type) {
      case 'reader':
        this.readers.add(m.name);
        return emit({ type: 'reader', name: m.name });
      case 'reader-removed':
        this.readers.delete(m.name);
        return emit({ type: 'reader-removed', name: m.name });
      case 'card':
        if (this.debouncer.accept(m.uid)) emit({ type: 'tap', tap: { reader: m.reader, uid: m.uid, atr: m.atr } });
        return;
      case 'refused':
        return emit({ type: 'refused', reader: m.reader, atr: m.atr, reason: m.reason });
      case 'short-tap':
        return emit({ type: 'short-tap', reader: m.reader, detail: m.detail });
      case 'warning':
        return emit({ type: 'warning', message: m.message });
      case 'pcsc-lost':
        return this.workerLost(m.message);
      case 'op-result': {
        const op = this.pending.get(m.id);
        if (!op) return;
        this.pending.delete(m.id);
        clearTimeout(op.timer);
        if (m.ok) op.resolve(Buffer.from(m.data, 'hex'));
        else op.reject(new Error(m.error));
        return;
      }
      case 'card-off':
      case 'loaded':
      case 'ready':
      case 'fatal':
        return;
    }
  }

  /** nfc-pcsc never recovers once pcscd is gone: drop the worker, wait for pcscd, start a new one. */
  private workerLost(message: string): void {
    if (this.stopping || this.lost) return;
    this.lost = true;
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.failPending('the reader service went away');
    this.readers.clear();
    this.opts.onEvent({ type: 'pcsc-lost', message });
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const interval = this.opts.probeIntervalMs ?? 500;
    while (!this.stopping) {
      await new Promise((r) => setTimeout(r, interval));
      if (this.stopping) return;
      if (!(await probePcscd(this.opts.socketPath)).ok) continue;
      try {
        await this.spawnWorker();
      } catch {
        continue;
      }
      if (this.stopping) {
        await this.stop();
        return;
      }
      this.lost = false;
      this.opts.onEvent({ type: 'pcsc-back' });
      return;
    }
  }

  private failPending(reason: string): void {
    for (const [id, op] of this.pending) {
      clearTimeout(op.timer);
      op.reject(new Error(reason));
      this.pending.delete(id);
    }
  }
}
