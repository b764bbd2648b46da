import type { KeyObject } from 'node:crypto';
import {
  AllowlistError,
  apply,
  canonicalUid,
  isFullList,
  opensAt,
  publicKeyFrom,
  readAllowlistFile,
  replay,
  verified,
  writeAllowlistFile,
  type AllowlistFile,
  type AllowlistState,
  type Signed,
} from './allowlist';
import { errorMessage, type ApiClient } from './http';

/** After this many deltas the next sync fetches a whole list, so the file does not grow for ever. */
const MAX_DELTAS = 50;

export interface OfflineDecision {
  decision: 'allow' | 'deny';
  reason: 'ok' | 'no_access' | 'outside_hours' | 'no_list';
  version: number | null;
}

/** A failed sync whose cause is the service's answer, not the network. */
export class SyncRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SyncRefused';
  }
}

/**
 * One door's signed allowlist: loaded (and verified) from its file, kept current with
 * `?since=` deltas, and asked when the service cannot be.
 */
export class DoorList {
  private key: KeyObject | null = null;
  private file: AllowlistFile | null = null;
  private state: AllowlistState | null = null;
  private syncing: Promise<'updated' | 'unchanged'> | null = null;

  constructor(
    private readonly doorId: string,
    private readonly path: string,
    private readonly api: ApiClient,
    /** PEM given with --public-key: trusted instead of whatever the service or the file says. */
    private readonly pinnedKey?: string,
  ) {
    if (pinnedKey) this.key = publicKeyFrom(pinnedKey);
  }

  get version(): number | null {
    return this.state?.version ?? null;
  }

  get size(): number {
    return this.state?.entries.size ?? 0;
  }

  /** Reads the file and verifies every signed part of it. A problem, if any, is returned and the file ignored. */
  load(): string | null {
    let file: AllowlistFile | null;
    try {
      file = readAllowlistFile(this.path);
    } catch (err) {
      return `cannot read ${this.path}: ${(err as Error).message}`;
    }
    if (!file) return null;
    try {
      const key = this.key ?? publicKeyFrom(file.publicKey);
      this.state = replay(file, this.doorId, key);
      this.key = key;
      this.file = file;
      return null;
    } catch (err) {
      return `ignoring ${this.path}: ${(err as Error).message}`;
    }
  }

  decide(uid: string, now = new Date()): OfflineDecision {
    if (!this.state) return { decision: 'deny', reason: 'no_list', version: null };
    const entry = this.state.entries.get(canonicalUid(uid));
    if (entry === undefined) return { decision: 'deny', reason: 'no_access', version: this.state.version };
    return opensAt(entry, now) ? { decision: 'allow', reason: 'ok', version: this.state.version } : { decision: 'deny', reason: 'outside_hours', version: this.state.version };
  }

  /** Fetches what changed (everything, the first time) and saves it. One sync at a time. */
  sync(): Promise<'updated' | 'unchanged'> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncOnce(): Promise<'updated' | 'unchanged'> {
    if (!this.key) this.key = await this.fetchKey();
    try {
      return await this.fetchAndApply();
    } catch (err) {
      // A key the service no longer signs with: start again from its current key and a whole list.
      if (!(err instanceof AllowlistError) || this.pinnedKey) throw err;
      const current = await this.fetchKey();
      if (current.equals(this.key)) throw err;
      this.key = current;
      this.state = null;
      this.file = null;
      return this.fetchAndApply();
    }
  }

  private async fetchAndApply(): Promise<'updated' | 'unchanged'> {
    const key = this.key!;
    const whole = !this.state || !this.file || this.file.deltas.length >= MAX_DELTAS;
    const path = `/v1/doors/${this.doorId}/allowlist${whole ? '' : `?since=${this.state!.version}`}`;
    const res = await this.api.bytes(path);
    if (res.status !== 200) {
      let body: unknown = {};
      try {
        body = JSON.parse(res.bytes.toString('utf8'));
      } catch {
        // not JSON
      }
      throw new SyncRefused(`allowlist: ${errorMessage({ status: res.status, body, replayed: false })}`, res.status);
    }
    const doc: Signed = { body: res.bytes.toString('base64'), signature: res.headers.get('signature') ?? '' };
    const content = verified(doc, key);
    const next = apply(whole ? null : this.state, content, this.doorId);
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    if (isFullList(content)) {
      this.file = { format: 1, doorId: this.doorId, publicKey: pem, base: doc, deltas: [] };
    } else {
      const changed = next.version !== this.state!.version || (Array.isArray(content.added) && content.added.length > 0) || (Array.isArray(content.removed) && content.removed.length > 0);
      if (!changed) return 'unchanged';
      this.file = { ...this.file!, publicKey: pem, deltas: [...this.file!.deltas, doc] };
    }
    this.state = next;
    writeAllowlistFile(this.path, this.file);
    return 'updated';
  }

  private async fetchKey(): Promise<KeyObject> {
    const answer = await this.api.call<{ algorithm?: string; publicKey?: string }>('GET', '/v1/access/public-key', { auth: false });
    if (answer.status !== 200) throw new SyncRefused(`public key: ${errorMessage(answer)}`, answer.status);
    if (answer.body.algorithm !== 'Ed25519' || typeof answer.body.publicKey !== 'string') throw new AllowlistError('the service offers no Ed25519 public key');
    return publicKeyFrom(answer.body.publicKey);
  }
}
