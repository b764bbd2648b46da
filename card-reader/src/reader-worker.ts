/**
 * The reader side of the bridge, in a process of its own (forked by reader-bridge.ts).
 *
 * nfc-pcsc is kept out of the main process because of how it fails: its constructor
 * busy-loops, blocking the event loop for good, while pcscd is not answering, and once
 * pcscd dies it emits `error` and `end` and never recovers. Here, a hang is the parent's
 * to end with a kill, and recovery is a fresh process.
 */
import type { Card, NFC, Reader } from 'nfc-pcsc';
import { missingReaderLibrary } from './dependency';
import type { CardOp, FromWorker, ToWorker } from './worker-protocol';

type NfcModule = typeof import('nfc-pcsc');

const GET_UID = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);
const readerFilter = (process.argv[2] ?? '').toLowerCase();
const readers = new Map<string, Reader>();
let closing = false;

function send(message: FromWorker, then?: () => void): void {
  if (!process.send || !process.connected) return then?.();
  process.send(message, undefined, {}, () => then?.());
}

function load(): NfcModule | null {
  try {
    // Required here, not imported: a missing or unbuilt module becomes a message, not a crash.
    return require('nfc-pcsc') as NfcModule;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    send({ type: 'fatal', message: missingReaderLibrary(e.code === 'MODULE_NOT_FOUND' ? 'it is not installed' : e.message) }, () => process.exit(3));
    return null;
  }
}

function watch(lib: NfcModule, nfc: NFC): void {
  nfc.on('reader', (reader) => {
    // An error event without a listener would crash the worker, even on a reader we skip.
    reader.on('error', (err) => {
      if (!closing && readers.has(reader.name)) send({ type: 'warning', message: `${reader.name}: ${err.message}` });
    });
    if (readerFilter && !reader.name.toLowerCase().includes(readerFilter)) {
      reader.close();
      return;
    }
    // Reading the UID ourselves: the library's own handling refuses some cards by emitting
    // errors we would have to tell apart by their wording.
    reader.autoProcessing = false;
    readers.set(reader.name, reader);
    send({ type: 'reader', name: reader.name });
    reader.on('card', (card) => void identify(lib, reader, card));
    reader.on('card.off', () => send({ type: 'card-off', reader: reader.name }));
    reader.on('end', () => {
      readers.delete(reader.name);
      if (!closing) send({ type: 'reader-removed', name: reader.name });
    });
  });
  nfc.on('error', (err) => {
    // close() emits an error too; only an error while running means pcscd went away.
    if (!closing) send({ type: 'pcsc-lost', message: err.message });
  });
}

/** GET DATA for the UID. A card that leaves first answers nothing ("Invalid response length 0"): a short tap. */
async function identify(lib: NfcModule, reader: Reader, card: Card): Promise<void> {
  const atr = card.atr ? card.atr.toString('hex').toUpperCase() : '';
  if (card.standard === lib.TAG_ISO_14443_4) {
    send({ type: 'refused', reader: reader.name, atr, reason: 'an ISO 14443-4 card (a phone or a bank card), not a community card' });
    return;
  }
  let response: Buffer;
  try {
    response = await reader.transmit(GET_UID, 12);
  } catch (err) {
    send({ type: 'short-tap', reader: reader.name, detail: describe(err as Error) });
    return;
  }
  if (response.length <= 2 || response.readUInt16BE(response.length - 2) !== 0x9000) {
    send({ type: 'short-tap', reader: reader.name, detail: `Invalid response length ${response.length} (${response.toString('hex')})` });
    return;
  }
  send({ type: 'card', reader: reader.name, uid: response.subarray(0, -2).toString('hex').toUpperCase(), atr });
}

async function runOp(lib: NfcModule, op: CardOp): Promise<Buffer> {
  const reader = readers.get(op.reader);
  if (!reader || !reader.card) throw new Error('the card left the reader');
  const { layout } = op;
  // MIFARE Classic: a sector opens with its key; blockSize 16, not the library's default 4 (Ultralight's pages).
  if (layout.kind === 'classic') await reader.authenticate(layout.firstBlock, lib.KEY_TYPE_A, op.mifareKey);
  let length = op.kind === 'read' ? op.length : 0;
  if (op.kind === 'write') {
    const data = Buffer.from(op.data, 'hex');
    length = data.length;
    // One block at a time: the library would send them all at once.
    for (let offset = 0; offset < data.length; offset += layout.blockSize) {
      await reader.write(layout.firstBlock + offset / layout.blockSize, data.subarray(offset, offset + layout.blockSize), layout.blockSize);
    }
  }
  const chunks: Buffer[] = [];
  // READ BINARY returns 16 bytes: one Classic block, or four Ultralight pages.
  for (let offset = 0; offset < length; offset += 16) {
    chunks.push(await reader.read(layout.firstBlock + offset / layout.blockSize, 16, layout.blockSize, 16));
  }
  return Buffer.concat(chunks).subarray(0, length);
}

/** nfc-pcsc wraps the PC/SC error in `previous`; the outer message alone says little. */
function describe(err: Error & { previous?: Error }): string {
  return err.previous ? `${err.message} (${describe(err.previous)})` : err.message;
}

function shutdown(nfc: NFC | null, code = 0): void {
  if (closing) return;
  closing = true;
  // Readers first, then NFC; NFC's close emits an error, which the listener above swallows.
  for (const reader of readers.values()) {
    try {
      reader.close();
    } catch {
      // already gone
    }
  }
  try {
    nfc?.close();
  } catch {
    // pcscd already gone
  }
  setImmediate(() => process.exit(code));
}

function main(): void {
  const lib = load();
  if (!lib) return;
  let nfc: NFC | null = null;
  process.on('message', (message: ToWorker) => {
    if (message.type === 'shutdown') return shutdown(nfc);
    runOp(lib, message.op).then(
      (data) => send({ type: 'op-result', id: message.id, ok: true, data: data.toString('hex') }),
      (err: Error) => send({ type: 'op-result', id: message.id, ok: false, error: describe(err) }),
    );
  });
  // The parent is gone (even killed): nothing left to report to.
  process.on('disconnect', () => shutdown(nfc));
  // Once the parent knows we got this far, a hang from here on is pcscd's, not a slow start.
  send({ type: 'loaded' }, () => {
    nfc = new lib.NFC();
    watch(lib, nfc);
    send({ type: 'ready' });
  });
}

main();
