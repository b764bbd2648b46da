import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { VirtualCard } from './virtual-card';

/**
 * A pcscd of the test's own: its own socket, its own reader.conf.d with the vpcd virtual
 * reader on its own TCP port, so runs side by side never meet. pcscd 1.9 has its socket
 * path compiled in (/run/pcscd/pcscd.comm); the way around that is systemd's socket
 * activation, which it supports: we create and listen on the socket, hand it over as fd 3
 * with LISTEN_FDS=1 and LISTEN_PID set to pcscd's own pid, and clients find it through
 * PCSCLITE_CSOCK_NAME. (Such a pcscd still writes, and at exit removes, /run/pcscd/pcscd.pid.)
 */

const VPCD_DRIVERS = ['/usr/lib/pcsc/drivers/serial/libifdvpcd.so', '/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so'];

/**
 * Runs pcscd with the socket handed over (LISTEN_PID must be pcscd's own pid: the subshell
 * learns its pid from a child's PPID, then execs pcscd), prints its pid, and kills it when
 * stdin closes, which happens however the test process ends: a jest worker that exits
 * early must not leave a pcscd holding its port.
 */
const WATCHDOG = `export LISTEN_FDS=1
( LISTEN_PID=$(exec sh -c 'echo $PPID'); export LISTEN_PID; exec "$@" ) &
pid=$!
echo "pcscd pid $pid"
read _ || true
kill -TERM $pid 2>/dev/null
wait $pid`;

export function findPcscd(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const candidate = join(dir, 'pcscd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function findVpcdDriver(): string | null {
  return VPCD_DRIVERS.find((p) => existsSync(p)) ?? null;
}

export interface Pcscd {
  /** Give it to the bridge as PCSCLITE_CSOCK_NAME. */
  socketPath: string;
  /** Where the virtual card connects: slot 0 of the vpcd reader. */
  vpcdPort: number;
  readerName: string;
  /** pcscd's pid, while it runs. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** A new pcscd on the same socket path and port, as after `systemctl restart pcscd`. */
  start(): Promise<void>;
  dispose(): Promise<void>;
  log(): string;
  /**
   * Puts the card on the reader until `until` settles, then takes it off and waits for
   * pcscd to notice. pcscd polls the reader (about every 400 ms): a card put back before
   * the next poll would never have left, as far as pcscd and the bridge can tell.
   */
  tap<T>(card: VirtualCard, until: () => Promise<T>): Promise<T>;
}

export async function startPcscd(): Promise<Pcscd> {
  const pcscd = findPcscd();
  const driver = findVpcdDriver();
  if (!pcscd || !driver) throw new Error('pcscd or the vpcd driver is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'card-reader-pcscd-'));
  const vpcdPort = await freePortPair();
  mkdirConf(dir, driver, vpcdPort);
  const socketPath = join(dir, 'pcscd.comm');
  /** The watchdog shell; pcscd is its child. */
  let child: ChildProcess | null = null;
  let pid: number | undefined;
  let output = '';
  // pcscd at --info logs "Card inserted into <reader>" and "Card Removed From <reader>".
  let inserted = 0;
  let removed = 0;
  const seen = new Set<() => void>();

  const start = async () => {
    rmSync(socketPath, { force: true });
    const tmp = `${socketPath}.${Date.now()}`;
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(tmp, () => resolve()));
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    // PCSCD_DEBUG=1: pcscd's whole conversation in log(), for a failing test.
    const proc = spawn('sh', ['-c', WATCHDOG, 'sh', pcscd, '--foreground', process.env.PCSCD_DEBUG ? '--debug' : '--info', '-c', join(dir, 'reader.conf.d')], {
      stdio: ['pipe', 'pipe', 'pipe', fd],
    });
    // Node unlinks a unix socket's path when its server closes: move the socket first.
    renameSync(tmp, socketPath);
    server.close();
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let line = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const lines = (line + chunk.toString()).split('\n');
        line = lines.pop()!;
        for (const l of lines) {
          const announced = /^pcscd pid (\d+)$/.exec(l);
          if (announced) pid = Number(announced[1]);
          if (l.includes('daemon ready')) resolve();
          if (l.includes('Card inserted into Virtual PCD 00 00')) inserted++;
          if (l.includes('Card Removed From Virtual PCD 00 00')) removed++;
        }
        for (const wake of [...seen]) wake();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`pcscd exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
    });
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    if (pid) process.kill(pid, 'SIGTERM');
    pid = undefined;
    proc.stdin!.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // pcscd leaves a socket it was handed: nothing answers on it now, as after a crash.
  };

  const removalSeen = async (count: number) => {
    while (removed < count && child) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        seen.add(done);
        function done() {
          clearTimeout(timer);
          seen.delete(done);
          resolve();
        }
      });
    }
  };

  await start();
  return {
    socketPath,
    vpcdPort,
    readerName: 'Virtual PCD 00 00',
    get pid() {
      return pid;
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      try {
        unlinkSync(socketPath);
      } catch {
        // gone already
      }
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
    async tap<T>(card: VirtualCard, until: () => Promise<T>): Promise<T> {
      const before = { inserted, removed };
      await card.insert(vpcdPort);
      try {
        return await until();
      } finally {
        await card.remove();
        if (inserted > before.inserted) await removalSeen(before.removed + (inserted - before.inserted));
      }
    },
  };
}

function mkdirConf(dir: string, driver: string, port: number): void {
  const conf = join(dir, 'reader.conf.d');
  rmSync(conf, { recursive: true, force: true });
  mkdirSync(conf);
  // CHANNELID is the port of the first slot; vpcd's second slot listens on the next one.
  writeFileSync(join(conf, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x${port.toString(16)}\nLIBPATH      ${driver}\nCHANNELID    0x${port.toString(16)}\n`);
}

/** Two consecutive free TCP ports (vpcd takes one per slot), the first returned. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listenOn(0);
    if (!first) continue;
    const port = (first.address() as { port: number }).port;
    const second = port < 65535 ? await listenOn(port + 1) : null;
    first.close();
    second?.close();
    if (second) return port;
  }
  throw new Error('no two consecutive free TCP ports for vpcd');
}

function listenOn(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
