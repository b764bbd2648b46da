import { parseCli, USAGE, UsageError, type Options } from './args';
import { ApiClient } from './http';
import { doorMode } from './modes/door';
import { issueMode } from './modes/issue';
import { lookupMode } from './modes/lookup';
import { FatalError, type ModeContext, type TapMode } from './modes/mode';
import { payMode } from './modes/pay';
import { stationMode } from './modes/station';
import { Output } from './output';
import { ReaderBridge, ReaderSetupError, type BridgeEvent, type Tap } from './reader-bridge';

/** Exit codes: 0 done (or stopped), 1 the service refused something for good, 2 usage, 3 readers unusable. */
export async function main(argv: string[]): Promise<void> {
  let options: Options | null;
  try {
    options = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`card-reader: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!options) {
    process.stdout.write(USAGE);
    return;
  }
  const out = new Output(options.json, process.stdout, process.stderr, options.verbose);
  // Explicitly: fetch's keep-alive sockets and the worker's channel would keep the process up.
  process.exit(options.mode === 'readers' ? await listReaders(options, out) : await runTapMode(options, out));
}

async function listReaders(options: Options, out: Output): Promise<number> {
  let settled: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  // pcscd reports the readers it has right after the worker connects; wait until that goes quiet.
  const quiet = () => {
    clearTimeout(timer);
    timer = setTimeout(() => settled(), 500);
  };
  const bridge = new ReaderBridge({ socketPath: options.socketPath, readerFilter: options.reader, debounceMs: options.debounceMs, onEvent: (e) => e.type === 'reader' && quiet() });
  try {
    await bridge.start();
  } catch (err) {
    if (!(err instanceof ReaderSetupError)) throw err;
    out.error('reader-setup-failed', { message: err.message }, err.message);
    return 3;
  }
  await new Promise<void>((resolve) => {
    settled = resolve;
    quiet();
  });
  const readers = [...bridge.readers].sort();
  await bridge.stop();
  out.result('readers', { readers }, readers.length ? readers.join('\n') : 'no readers: pcscd is running but sees none (is the reader plugged in?)');
  return 0;
}

async function runTapMode(options: Options, out: Output): Promise<number> {
  const abort = new AbortController();
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  let chain: Promise<void> = Promise.resolve();
  // Taps can arrive as soon as the worker is up, before the mode is set up: they wait for it.
  let setMode: (mode: TapMode | null) => void = () => undefined;
  const modeReady = new Promise<TapMode | null>((resolve) => (setMode = resolve));

  const enqueue = (tap: Tap) => {
    // One tap at a time, in order.
    chain = chain.then(async () => {
      const mode = await modeReady;
      if (stopping || !mode) return;
      try {
        if ((await mode.onTap(tap)) === 'done') finish(0);
      } catch (err) {
        if (err instanceof FatalError) {
          out.error('fatal', { message: err.message }, `card-reader: ${err.message}`);
          finish(1);
        } else {
          out.error('error', { uid: tap.uid, message: (err as Error).message }, `error handling ${tap.uid}: ${(err as Error).stack ?? err}`);
        }
      }
    });
  };

  const onEvent = (e: BridgeEvent) => {
    switch (e.type) {
      case 'tap':
        return enqueue(e.tap);
      case 'reader':
        return out.status('reader', { name: e.name }, `reader: ${e.name}`);
      case 'reader-removed':
        return out.status('reader-removed', { name: e.name }, `reader removed: ${e.name}`);
      case 'refused':
        return out.result('refused', { reader: e.reader, atr: e.atr, reason: e.reason }, `REFUSED: ${e.reason}`);
      case 'short-tap':
        return out.debug('short-tap', { reader: e.reader, detail: e.detail }, `(a card left before it could be read: ${e.detail})`);
      case 'pcsc-lost':
        return out.status('pcscd-lost', { message: e.message }, `pcscd went away (${e.message}); waiting for it to come back…`);
      case 'pcsc-back':
        return out.status('pcscd-back', {}, 'pcscd is back');
      case 'warning':
        return out.debug('warning', { message: e.message }, `warning: ${e.message}`);
    }
  };

  const bridge = new ReaderBridge({ socketPath: options.socketPath, readerFilter: options.reader, debounceMs: options.debounceMs, onEvent });
  try {
    await bridge.start();
  } catch (err) {
    if (!(err instanceof ReaderSetupError)) throw err;
    out.error('reader-setup-failed', { message: err.message }, err.message);
    return 3;
  }

  const onSignal = () => {
    if (stopping) process.exit(130);
    finish(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const api = new ApiClient({ baseUrl: options.api, key: options.key, timeoutMs: options.timeoutMs });
  const ctx: ModeContext = { options, api, out, bridge, signal: abort.signal };
  createMode(ctx).then(
    (mode) => {
      out.status('ready', { mode: options.mode, readers: [...bridge.readers] }, `${mode.prompt} (Ctrl-C to stop)`);
      setMode(mode);
    },
    (err: Error) => {
      out.error('fatal', { message: err.message }, `card-reader: ${err.message}`);
      setMode(null);
      finish(1);
    },
  );

  const code = await finished;
  stopping = true;
  abort.abort();
  setMode(null);
  (await modeReady)?.stop?.();
  // A tap being handled (a payment being retried, say) gets a moment to print what became of it.
  await Promise.race([chain, new Promise((r) => setTimeout(r, 3000))]);
  const readers = await bridge.stop();
  out.debug('stopped', { readers }, `readers ${readers}`);
  return code;
}

async function createMode(ctx: ModeContext): Promise<TapMode> {
  switch (ctx.options.mode) {
    case 'issue':
      return issueMode(ctx);
    case 'lookup':
      return lookupMode(ctx);
    case 'pay':
      return payMode(ctx);
    case 'door':
      return doorMode(ctx);
    case 'station':
      return stationMode(ctx);
    default:
      throw new FatalError(`no tap mode ${ctx.options.mode}`);
  }
}
