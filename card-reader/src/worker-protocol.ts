import type { Layout } from './card-data';

/** Messages between the bridge and its reader worker (reader-worker.ts), over the fork IPC channel. */

export type CardOp =
  /** Authenticates where the card needs it, writes `data` from the layout's first block, reads it back. */
  | { kind: 'write'; reader: string; layout: Layout; data: string; mifareKey: string }
  | { kind: 'read'; reader: string; layout: Layout; length: number; mifareKey: string };

export type ToWorker = { type: 'op'; id: number; op: CardOp } | { type: 'shutdown' };

export type FromWorker =
  /** nfc-pcsc is loaded; constructing NFC next (which hangs while pcscd does not answer). */
  | { type: 'loaded' }
  /** NFC is constructed: pcscd answered. */
  | { type: 'ready' }
  /** nfc-pcsc cannot be loaded; `message` says what to install. */
  | { type: 'fatal'; message: string }
  | { type: 'reader'; name: string }
  | { type: 'reader-removed'; name: string }
  /** A card in the field whose UID was read; uid and atr are upper-case hex. */
  | { type: 'card'; reader: string; uid: string; atr: string }
  | { type: 'card-off'; reader: string }
  /** A card we will not talk to (ISO 14443-4: a phone, a bank card). */
  | { type: 'refused'; reader: string; atr: string; reason: string }
  /** The card left before its UID could be read. */
  | { type: 'short-tap'; reader: string; detail: string }
  /** pcscd went away; nfc-pcsc never recovers from it, so this worker is finished. */
  | { type: 'pcsc-lost'; message: string }
  | { type: 'warning'; message: string }
  /** The data read back after a write, or read; hex. */
  | { type: 'op-result'; id: number; ok: true; data: string }
  | { type: 'op-result'; id: number; ok: false; error: string };
