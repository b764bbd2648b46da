import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A door's allowlist as the service signs it, kept on disk so the door can still decide
 * when the service is out of reach. What is stored is what was signed: the exact bytes
 * of the last whole list and of every delta since, each with its signature, so the file
 * is verified again on every load and a hand-edited or torn file is refused rather than
 * obeyed.
 */

export interface Signed {
  /** The exact body bytes, base64. */
  body: string;
  /** The service's `Signature` header: base64 Ed25519 over those bytes. */
  signature: string;
}

export interface AllowlistFile {
  format: 1;
  doorId: string;
  /** SPKI PEM of the key the documents were checked with when they arrived. */
  publicKey: string;
  base: Signed;
  deltas: Signed[];
}

/** A grant window, as the service lists it: days inclusive, hours in Asia/Shanghai time. */
export interface ListedWindow {
  validFrom?: string;
  validUntil?: string;
  hours?: { from: string; to: string };
}

export interface AllowlistState {
  doorId: string;
  version: number;
  /** UID → null (any time) or the windows in which it opens the door. */
  entries: Map<string, ListedWindow[] | null>;
}

export class AllowlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowlistError';
  }
}

export function publicKeyFrom(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new AllowlistError(`the allowlist key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/** The document a signed body holds, or AllowlistError if the signature does not cover these bytes. */
export function verified(doc: Signed, key: KeyObject): Record<string, unknown> {
  const bytes = Buffer.from(doc.body, 'base64');
  const signature = Buffer.from(doc.signature, 'base64');
  if (signature.length !== 64 || !verify(null, bytes, key, signature)) throw new AllowlistError('allowlist signature does not verify');
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AllowlistError('allowlist body is not an object');
  return parsed as Record<string, unknown>;
}

export const isFullList = (doc: Record<string, unknown>): boolean => Array.isArray(doc.uids);

/**
 * Applies one verified document: a whole list (`uids`) replaces the state, a delta
 * (`added`, `removed`) changes it. Both may carry `limits`: UID → windows, for UIDs that
 * open the door only at some times; a UID without limits opens it at any time.
 */
export function apply(state: AllowlistState | null, doc: Record<string, unknown>, doorId: string): AllowlistState {
  if (doc.doorId !== doorId) throw new AllowlistError(`allowlist is for door ${String(doc.doorId)}, not ${doorId}`);
  if (typeof doc.version !== 'number' || !Number.isSafeInteger(doc.version)) throw new AllowlistError('allowlist version is not an integer');
  const limits = limitsOf(doc.limits);
  if (isFullList(doc)) {
    const entries = new Map<string, ListedWindow[] | null>();
    for (const uid of uidList(doc.uids)) entries.set(uid, limits.get(uid) ?? null);
    return { doorId, version: doc.version, entries };
  }
  if (!state) throw new AllowlistError('a delta needs a whole list to apply to');
  if (doc.version < state.version) throw new AllowlistError(`delta version ${doc.version} is older than the list's ${state.version}`);
  const entries = new Map(state.entries);
  for (const uid of uidList(doc.removed ?? [])) entries.delete(uid);
  for (const uid of uidList(doc.added ?? [])) entries.set(uid, limits.get(uid) ?? null);
  return { doorId, version: doc.version, entries };
}

function uidList(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((u) => typeof u !== 'string')) throw new AllowlistError('allowlist UIDs are not a list of strings');
  return (value as string[]).map(canonicalUid);
}

function limitsOf(value: unknown): Map<string, ListedWindow[]> {
  const limits = new Map<string, ListedWindow[]>();
  if (value === undefined || value === null) return limits;
  if (typeof value !== 'object' || Array.isArray(value)) throw new AllowlistError('allowlist limits are not an object');
  for (const [uid, windows] of Object.entries(value)) {
    if (!Array.isArray(windows)) throw new AllowlistError('allowlist limits are not lists of windows');
    limits.set(canonicalUid(uid), windows as ListedWindow[]);
  }
  return limits;
}

/** UIDs as the service prints them: upper-case hex without separators. */
export function canonicalUid(uid: string): string {
  return uid.replace(/[\s:-]/g, '').toUpperCase();
}

/** Verifies and replays a stored file; AllowlistError if any part of it fails. */
export function replay(file: AllowlistFile, doorId: string, key: KeyObject): AllowlistState {
  if (file.format !== 1 || file.doorId !== doorId) throw new AllowlistError('allowlist file is for another door or format');
  const base = verified(file.base, key);
  if (!isFullList(base)) throw new AllowlistError('allowlist file does not start with a whole list');
  let state = apply(null, base, doorId);
  for (const delta of file.deltas) state = apply(state, verified(delta, key), doorId);
  return state;
}

export function readAllowlistFile(path: string): AllowlistFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as AllowlistFile;
}

/** Write-then-rename, so a crash mid-write leaves the previous file, never half of one. */
export function writeAllowlistFile(path: string, file: AllowlistFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 1)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/**
 * Whether a listed UID opens the door at a moment. Windows are in Asia/Shanghai time (UTC+8
 * all year); hours whose end is before their start run past midnight. A window the bridge
 * cannot read never opens the door.
 */
export function opensAt(windows: ListedWindow[] | null, now: Date): boolean {
  if (windows === null) return true;
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const day = local.toISOString().slice(0, 10);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  return windows.some((w) => {
    if (w.validFrom !== undefined && !(typeof w.validFrom === 'string' && day >= w.validFrom)) return false;
    if (w.validUntil !== undefined && !(typeof w.validUntil === 'string' && day <= w.validUntil)) return false;
    if (w.hours === undefined) return true;
    const from = minutes(w.hours?.from);
    const to = minutes(w.hours?.to);
    if (from === null || to === null) return false;
    return from < to ? minute >= from && minute < to : minute >= from || minute < to;
  });
}

function minutes(value: unknown): number | null {
  const m = typeof value === 'string' ? HH_MM.exec(value) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}
