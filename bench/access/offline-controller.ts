/**
 * A reference door controller that keeps working when the network is gone.
 *
 * Online, every card tap is decided by the service (POST /v1/access/check): that answer
 * is exact, and a lock counts from the moment the lock call answered. The controller
 * also keeps the door's signed allowlist (GET /v1/doors/:id/allowlist), synced in full
 * once and then by deltas (?since=VERSION). When the service cannot be reached, it
 * decides from that list alone, applying grant windows (days and hours) in Asia/Shanghai
 * time itself. When the service is back it catches up with a delta.
 *
 * Trust: the only thing the controller needs to believe a list is the service's Ed25519
 * public key (GET /v1/access/public-key, pinned at installation or on first contact). A
 * list is taken only if its signature verifies over the exact body bytes, it names this
 * door, and it does not go back in version (an old, validly signed list replayed later
 * would otherwise bring back cards removed since). A delta is applied only on top of the
 * version it was made from.
 *
 * The documented limit: offline, the list is as old as the last sync. A card locked,
 * replaced or closed after it is still allowed by this controller until it syncs again;
 * a card issued after it is not known. Keep the sync interval short (and sync when the
 * network comes back), and use the online check whenever the service answers.
 *
 * CLI: node dist/bench/access/offline-controller.js --url http://127.0.0.1:3000 --door <doorId> --key <door key>
 * then type or pipe card UIDs, one per line ("taps"); it syncs every --interval ms (default 5000).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createInterface } from 'node:readline';

/** A grant window as the list gives it: calendar days (inclusive) and daily hours, Asia/Shanghai. */
export interface ListedWindow {
  validFrom?: string;
  validUntil?: string;
  /** `to` is exclusive; `to` earlier than `from` wraps past midnight. */
  hours?: { from: string; to: string };
}

interface FullList {
  doorId: string;
  version: number;
  uids: string[];
  limits: Record<string, ListedWindow[]>;
}

interface DeltaList {
  doorId: string;
  version: number;
  since: number;
  added: string[];
  removed: string[];
  limits: Record<string, ListedWindow[]>;
}

export interface SyncResult {
  kind: 'full' | 'delta';
  /** The version before and after. */
  from: number | null;
  version: number;
  added: string[];
  removed: string[];
}

export type LocalReason = 'ok' | 'not_listed' | 'outside_hours';

export interface Decision {
  decision: 'allow' | 'deny';
  /** Online: the service's reason. Offline: from the list. */
  reason: string;
  cardId?: string;
  /** Who decided: the service, or this controller from its list because the service could not be reached. */
  source: 'online' | 'offline';
}

/** The service could not be reached (refused, reset, timed out, or a 5xx). */
export class OfflineError extends Error {
  override readonly name = 'OfflineError';
}

/** A list that must not be used: bad signature, another door, an older version, a delta from another version, or malformed. */
export class ListRejected extends Error {
  override readonly name = 'ListRejected';
  constructor(
    readonly why: 'signature' | 'door' | 'stale' | 'base' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

export interface ControllerOptions {
  baseUrl: string;
  doorId: string;
  /** The controller's door key (role door, covering this door), without "Bearer ". */
  apiKey: string;
  /** The service's public key (SPKI PEM), if provisioned at installation; else fetched by trustServerKey(). */
  publicKeyPem?: string;
  /** How long an online check may take before the controller decides by itself (default 1,500 ms). */
  checkTimeoutMs?: number;
  /** How long a sync may take (default 10 s). */
  syncTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

const UID_BYTES = /^[0-9a-fA-F]{2}(?:[:\- ]?[0-9a-fA-F]{2})*$/;
const UID_LENGTHS = new Set([8, 14, 20]);
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

export class OfflineController {
  private publicKey: KeyObject | null;
  private listVersion: number | null = null;
  private readonly uids = new Set<string>();
  private readonly limits = new Map<string, ListedWindow[]>();
  private reachable = true;
  private syncing: Promise<SyncResult> | null = null;
  private probeWaiting = false;
  private lastSync: Date | null = null;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => Date;

  constructor(private readonly options: ControllerOptions) {
    this.publicKey = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : null;
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
  }

  get version(): number | null {
    return this.listVersion;
  }

  get size(): number {
    return this.uids.size;
  }

  /** Whether the last call to the service got through. */
  get online(): boolean {
    return this.reachable;
  }

  get lastSyncAt(): Date | null {
    return this.lastSync;
  }

  /** The list as held now: UIDs and, for the ones that open only at some times, their windows. */
  snapshot(): { version: number | null; uids: string[]; limits: Record<string, ListedWindow[]> } {
    return { version: this.listVersion, uids: [...this.uids].sort(), limits: Object.fromEntries(this.limits) };
  }

  /** Fetches and pins the service's public key (trust on first use; provision it instead where that matters). */
  async trustServerKey(): Promise<void> {
    const res = await this.call('GET', '/v1/access/public-key', undefined, this.options.syncTimeoutMs ?? 10_000);
    if (res.status !== 200) throw new Error(`GET /v1/access/public-key answered ${res.status}`);
    const body = JSON.parse(res.text) as { algorithm?: string; publicKey?: string };
    if (body.algorithm !== 'Ed25519' || typeof body.publicKey !== 'string') throw new Error('the service did not give an Ed25519 public key');
    this.publicKey = createPublicKey(body.publicKey);
  }

  /**
   * Brings the list up to date: the whole list the first time, a delta afterwards.
   * Throws OfflineError when the service cannot be reached and ListRejected for a list
   * that must not be used; either way the list held stays as it was.
   */
  async sync(): Promise<SyncResult> {
    // One sync at a time, and always an attempt that starts after this call (not a probe that began earlier).
    while (this.syncing) await this.syncing.catch(() => undefined);
    const attempt = this.syncOnce();
    this.syncing = attempt;
    try {
      return await attempt;
    } finally {
      if (this.syncing === attempt) this.syncing = null;
    }
  }

  private async syncOnce(): Promise<SyncResult> {
    const since = this.listVersion === null ? '' : `?since=${this.listVersion}`;
    const res = await this.call('GET', `/v1/doors/${this.options.doorId}/allowlist${since}`, undefined, this.options.syncTimeoutMs ?? 10_000);
    if (res.status !== 200) throw new Error(`GET allowlist answered ${res.status}: ${res.text.slice(0, 200)}`);
    const result = this.applySigned(res.text, res.signature ?? '');
    this.lastSync = this.now();
    return result;
  }

  /**
   * Verifies and applies a list body exactly as the service sent it, with its Signature
   * header: by sync(), or for a list that reached the controller by any other path.
   */
  applySigned(body: string, signature: string): SyncResult {
    if (!this.publicKey) throw new Error('no public key: call trustServerKey() or pass publicKeyPem');
    let ok = false;
    try {
      ok = verify(null, Buffer.from(body, 'utf8'), this.publicKey, Buffer.from(signature, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) throw new ListRejected('signature', 'the allowlist signature does not verify');
    const list = parseList(body);
    if (list.doorId !== this.options.doorId) throw new ListRejected('door', `the allowlist is for door ${list.doorId}, not ${this.options.doorId}`);
    const from = this.listVersion;
    if (from !== null && list.version < from) throw new ListRejected('stale', `the allowlist is version ${list.version}, older than the ${from} held`);

    if ('since' in list) {
      if (list.since !== from) throw new ListRejected('base', `the delta is from version ${list.since}, but version ${from} is held`);
      for (const uid of list.removed) {
        this.uids.delete(uid);
        this.limits.delete(uid);
      }
      for (const uid of list.added) {
        this.uids.add(uid);
        // An added UID without windows opens at any time, even if it had windows before.
        if (list.limits[uid]) this.limits.set(uid, list.limits[uid]);
        else this.limits.delete(uid);
      }
      this.listVersion = list.version;
      return { kind: 'delta', from, version: list.version, added: list.added, removed: list.removed };
    }
    const before = new Set(this.uids);
    this.uids.clear();
    this.limits.clear();
    for (const uid of list.uids) this.uids.add(uid);
    for (const [uid, windows] of Object.entries(list.limits)) this.limits.set(uid, windows);
    this.listVersion = list.version;
    return { kind: 'full', from, version: list.version, added: list.uids.filter((u) => !before.has(u)), removed: [...before].filter((u) => !this.uids.has(u)) };
  }

  /** The decision from the list alone, at `at` (default now). */
  decideLocally(uid: string, at: Date = this.now()): { decision: 'allow' | 'deny'; reason: LocalReason } {
    const normalized = normalizeUid(uid);
    if (normalized === null || !this.uids.has(normalized)) return { decision: 'deny', reason: 'not_listed' };
    const windows = this.limits.get(normalized);
    if (!windows) return { decision: 'allow', reason: 'ok' };
    return windows.some((w) => windowOpen(w, at)) ? { decision: 'allow', reason: 'ok' } : { decision: 'deny', reason: 'outside_hours' };
  }

  /**
   * A card tap. The service decides when it answers; when it cannot be reached the
   * controller decides from its list. Once the service has been found unreachable, taps
   * are decided from the list at once (no waiting for a timeout at the door) and each
   * one starts a sync in the background, if none is running, to find out whether the
   * network is back; a sync that gets through catches the list up and puts the
   * controller back online. A 4xx from the service (a revoked controller key, a
   * malformed UID) is an answer too: the door stays shut.
   */
  async check(uid: string): Promise<Decision> {
    if (!this.reachable) {
      this.probe();
      return { ...this.decideLocally(uid), source: 'offline' };
    }
    try {
      const res = await this.call('POST', '/v1/access/check', JSON.stringify({ doorId: this.options.doorId, uid }), this.options.checkTimeoutMs ?? 1500);
      if (res.status === 200) {
        const body = JSON.parse(res.text) as { decision: 'allow' | 'deny'; reason: string; cardId?: string };
        return { ...body, source: 'online' };
      }
      return { decision: 'deny', reason: `service_answered_${res.status}`, source: 'online' };
    } catch (err) {
      if (!(err instanceof OfflineError)) throw err;
      return { ...this.decideLocally(uid), source: 'offline' };
    }
  }

  /** A background sync: one running at most, plus one waiting to start after it (so a tap after the network is back always leads to a fresh attempt). */
  private probe(): void {
    if (this.syncing && this.probeWaiting) return;
    const waits = this.syncing !== null;
    if (waits) this.probeWaiting = true;
    void this.sync()
      .catch(() => undefined)
      .finally(() => {
        if (waits) this.probeWaiting = false;
      });
  }

  private async call(method: 'GET' | 'POST', path: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; text: string; signature: string | null }> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.options.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      this.reachable = false;
      throw new OfflineError(`${method} ${path}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
    }
    if (res.status >= 500) {
      this.reachable = false;
      throw new OfflineError(`${method} ${path} answered ${res.status}`);
    }
    this.reachable = true;
    return { status: res.status, text, signature: res.headers.get('signature') };
  }
}

/** "04:a1:b2:c3" → "04A1B2C3", as the service prints UIDs; null for anything that is not a 4, 7 or 10-byte UID. */
export function normalizeUid(value: string): string | null {
  if (value.length > 40 || !UID_BYTES.test(value)) return null;
  const hex = value.replace(/[:\- ]/g, '').toUpperCase();
  return UID_LENGTHS.has(hex.length) ? hex : null;
}

/**
 * Whether a window is open at a moment, in Asia/Shanghai time (UTC+8 all year, no
 * daylight saving since 1991). Days apply to the local day of the moment itself.
 */
export function windowOpen(w: ListedWindow, at: Date): boolean {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  const day = local.toISOString().slice(0, 10);
  if (w.validFrom !== undefined && day < w.validFrom) return false;
  if (w.validUntil !== undefined && day > w.validUntil) return false;
  if (w.hours === undefined) return true;
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const from = minutes(w.hours.from);
  const to = minutes(w.hours.to);
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

function minutes(hhmm: string): number {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hhmm);
  if (!m) throw new ListRejected('malformed', `bad hours ${JSON.stringify(hhmm)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function parseList(body: string): FullList | DeltaList {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ListRejected('malformed', 'the allowlist is not JSON');
  }
  const o = raw as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && normalizeUid(s) === s);
  const windows = (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    Object.entries(v).every(
      ([uid, ws]) => normalizeUid(uid) === uid && Array.isArray(ws) && ws.every((w) => typeof w === 'object' && w !== null && (w.hours === undefined || (typeof w.hours.from === 'string' && typeof w.hours.to === 'string'))),
    );
  if (typeof o !== 'object' || o === null || typeof o.doorId !== 'string' || !Number.isSafeInteger(o.version) || !windows(o.limits)) {
    throw new ListRejected('malformed', 'the allowlist has not the expected shape');
  }
  if ('since' in o) {
    if (!Number.isSafeInteger(o.since) || !strings(o.added) || !strings(o.removed)) throw new ListRejected('malformed', 'the delta has not the expected shape');
    return o as unknown as DeltaList;
  }
  if (!strings(o.uids)) throw new ListRejected('malformed', 'the list has not the expected shape');
  return o as unknown as FullList;
}

/** The demonstration: sync, then decide each UID read from stdin, syncing every interval; says when it is offline. */
async function cli(argv: string[]): Promise<void> {
  const arg = (name: string, env: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : process.env[env];
  };
  const baseUrl = arg('url', 'ACCESS_URL') ?? 'http://127.0.0.1:3000';
  const doorId = arg('door', 'DOOR_ID');
  const apiKey = arg('key', 'DOOR_KEY');
  const interval = Number(arg('interval', 'SYNC_INTERVAL_MS') ?? 5000);
  if (!doorId || !apiKey) {
    console.error('usage: offline-controller --url http://127.0.0.1:3000 --door <doorId> --key <door key> [--interval 5000]\nthen one card UID per line on stdin');
    process.exitCode = 2;
    return;
  }
  const say = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);
  const controller = new OfflineController({ baseUrl, doorId, apiKey });
  await controller.trustServerKey();
  say(`pinned the service's Ed25519 key from ${baseUrl}`);
  const syncOnce = async () => {
    try {
      const r = await controller.sync();
      if (r.kind === 'full' || r.added.length > 0 || r.removed.length > 0) {
        say(`${r.kind} list v${r.from ?? '-'} -> v${r.version}: +${r.added.length} -${r.removed.length}, ${controller.size} UIDs held`);
      }
    } catch (err) {
      say(err instanceof OfflineError ? `offline, keeping list v${controller.version} (${controller.size} UIDs): ${err.message}` : `sync refused: ${(err as Error).message}`);
    }
  };
  await syncOnce();
  const timer = setInterval(() => void syncOnce(), interval);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const uid = line.trim();
    if (!uid) continue;
    const d = await controller.check(uid);
    say(`${uid}: ${d.decision.toUpperCase()} (${d.reason}${d.cardId ? `, card ${d.cardId}` : ''}) decided ${d.source === 'online' ? 'by the service' : `offline from list v${controller.version}`}`);
  }
  clearInterval(timer);
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
