import { createHash } from 'node:crypto';

/**
 * What the bridge writes into a card's data area when it issues it: the card's id and a
 * check value binding that id to the chip's UID, 32 bytes in all.
 *
 *   bytes  0-15  the card id, the 16 bytes of its UUID
 *   bytes 16-18  "CCR" (community card reader)
 *   byte  19     format version, 1
 *   bytes 20-31  the first 12 bytes of SHA-256("CCR" 0x01 || UID bytes || card id bytes)
 *
 * The check value is no secret (there is no shared key to make it one); it tells a
 * written card from a blank or foreign one, catches a torn write, and shows data copied
 * onto another chip, whose UID no longer matches. The service's UID look-up stays the
 * authority on what a card may do.
 */
export const CARD_DATA_LENGTH = 32;
const HEADER = Buffer.from([0x43, 0x43, 0x52, 0x01]);

/** Where those 32 bytes live on each kind of card we can write. */
export type Layout =
  /** MIFARE Classic: blocks 4 and 5, the first data sector (sector 0 holds the manufacturer block). */
  | { kind: 'classic'; firstBlock: 4; blockSize: 16; blocks: 2 }
  /** Ultralight / NTAG: pages 4-11, the start of the user memory. */
  | { kind: 'ultralight'; firstBlock: 4; blockSize: 4; blocks: 8 };

export const CLASSIC: Layout = { kind: 'classic', firstBlock: 4, blockSize: 16, blocks: 2 };
export const ULTRALIGHT: Layout = { kind: 'ultralight', firstBlock: 4, blockSize: 4, blocks: 8 };

// PC/SC part 3 card names, from the ATR a reader builds for a storage card.
const CLASSIC_NAMES = new Set([0x0001, 0x0002, 0x0026, 0x0036, 0x0037]); // 1K, 4K, Mini, Plus SL1 2K/4K
const ULTRALIGHT_NAMES = new Set([0x0003, 0x003a]); // Ultralight (and NTAG21x, as readers report them), Ultralight C
const PCSC_RID = 'a000000306';

/**
 * The layout for a card, from its ATR: `3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN ...`
 * where NN NN names the card. null: not a card we know how to write (it can still be
 * used by its UID).
 */
export function layoutForAtr(atrHex: string): Layout | null {
  const atr = Buffer.from(atrHex, 'hex');
  if (atr.length < 15 || atr[4] !== 0x80 || atr[5] !== 0x4f) return null;
  if (atr.subarray(7, 12).toString('hex') !== PCSC_RID) return null;
  const name = atr.readUInt16BE(13);
  if (CLASSIC_NAMES.has(name)) return CLASSIC;
  if (ULTRALIGHT_NAMES.has(name)) return ULTRALIGHT;
  return null;
}

/** "01234567-89ab-..." → its 16 bytes. */
function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

function uuidFrom(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function checkValue(uidHex: string, id: Buffer): Buffer {
  return createHash('sha256').update(HEADER).update(Buffer.from(uidHex, 'hex')).update(id).digest().subarray(0, 12);
}

export function encodeCardData(uidHex: string, cardId: string): Buffer {
  const id = uuidBytes(cardId);
  return Buffer.concat([id, HEADER, checkValue(uidHex, id)]);
}

export type Decoded =
  | { ok: true; cardId: string }
  | { ok: false; problem: 'blank' | 'foreign' | 'unknown_version' | 'check_failed' | 'short' };

export function decodeCardData(data: Buffer, uidHex: string): Decoded {
  if (data.length < CARD_DATA_LENGTH) return { ok: false, problem: 'short' };
  const bytes = data.subarray(0, CARD_DATA_LENGTH);
  if (bytes.every((b) => b === 0) || bytes.every((b) => b === 0xff)) return { ok: false, problem: 'blank' };
  if (!bytes.subarray(16, 19).equals(HEADER.subarray(0, 3))) return { ok: false, problem: 'foreign' };
  if (bytes[19] !== HEADER[3]) return { ok: false, problem: 'unknown_version' };
  const id = bytes.subarray(0, 16);
  if (!bytes.subarray(20, 32).equals(checkValue(uidHex, id))) return { ok: false, problem: 'check_failed' };
  return { ok: true, cardId: uuidFrom(id) };
}
