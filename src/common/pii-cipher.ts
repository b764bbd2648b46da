import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption of personal data at rest (AES-256-GCM), with a keyring so keys can be rotated.
 *
 * A stored value is text: `v1:<key id>:<base64 of IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)>`.
 * The key id says which key of the ring decrypts it, so values written under an older key
 * still decrypt while it stays in the ring. The format version, the key id and a context
 * naming where the value lives (table, column, row) are authenticated as additional data:
 * a value copied to another row or column, or edited in any way, does not decrypt.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const PII_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** One entry of PII_KEYS: `<id>:<base64 of 32 bytes>`. */
const ENTRY = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]{43}=)$/;

export interface PiiKey {
  readonly id: string;
  readonly key: Buffer;
}

export class PiiKeyError extends Error {}

/** The keys, current (for writing) first; every key decrypts. */
export class PiiKeyring {
  private readonly byId: Map<string, Buffer>;

  constructor(readonly keys: readonly PiiKey[]) {
    if (keys.length === 0) throw new PiiKeyError('PII_KEYS: at least one key is needed');
    this.byId = new Map();
    for (const k of keys) {
      if (!PII_KEY_ID.test(k.id)) throw new PiiKeyError(`PII_KEYS: a key id must be 1-32 letters, digits, "_" or "-"`);
      if (k.key.length !== KEY_BYTES) throw new PiiKeyError(`PII_KEYS: key "${k.id}" must be ${KEY_BYTES} bytes`);
      if (this.byId.has(k.id)) throw new PiiKeyError(`PII_KEYS: key id "${k.id}" appears twice`);
      this.byId.set(k.id, k.key);
    }
  }

  /**
   * Parses `k2:<base64>,k1:<base64>`. Messages name the variable and key ids, never key material.
   */
  static parse(text: string, name = 'PII_KEYS'): PiiKeyring {
    const entries = text.split(',').map((e) => e.trim());
    const keys = entries.map((entry, i) => {
      const m = ENTRY.exec(entry);
      if (!m) throw new PiiKeyError(`${name}: entry ${i + 1} must be <id>:<base64 of ${KEY_BYTES} bytes>, ids 1-32 letters, digits, "_" or "-"`);
      const key = Buffer.from(m[2], 'base64');
      if (key.length !== KEY_BYTES) throw new PiiKeyError(`${name}: key "${m[1]}" must be ${KEY_BYTES} bytes`);
      return { id: m[1], key };
    });
    try {
      return new PiiKeyring(keys);
    } catch (err) {
      throw new PiiKeyError((err as Error).message.replace(/^PII_KEYS/, name));
    }
  }

  /** A fresh one-key ring in PII_KEYS form. */
  static generate(id = 'k1'): string {
    return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  get current(): PiiKey {
    return this.keys[0];
  }

  get ids(): string[] {
    return this.keys.map((k) => k.id);
  }

  key(id: string): Buffer | undefined {
    return this.byId.get(id);
  }
}

export type PiiDecryptFailure = 'format' | 'unknown_key' | 'authentication';

/** A value that does not decrypt. The message names the key id and the reason, never the value. */
export class PiiDecryptError extends Error {
  constructor(
    readonly reason: PiiDecryptFailure,
    readonly keyId: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'PiiDecryptError';
  }
}

export class PiiCipher {
  constructor(readonly keyring: PiiKeyring) {}

  /** Encrypts under the current key with a fresh random IV; `context` says where the value will live. */
  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(id, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  decrypt(stored: string, context: string): string {
    const { keyId, payload } = parse(stored);
    const key = this.keyring.key(keyId);
    if (!key) throw new PiiDecryptError('unknown_key', keyId, `encrypted under key "${keyId}", which is not in PII_KEYS`);
    const iv = payload.subarray(0, IV_BYTES);
    const tag = payload.subarray(payload.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(payload.subarray(IV_BYTES, payload.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new PiiDecryptError('authentication', keyId, `a value under key "${keyId}" does not decrypt: it was altered, moved from elsewhere, or the key with that id is not the one it was written with`);
    }
  }

  /** The id of the key a stored value was written with. */
  keyIdOf(stored: string): string {
    return parse(stored).keyId;
  }

  isCurrent(stored: string): boolean {
    return this.keyIdOf(stored) === this.keyring.current.id;
  }

  /** The same plaintext under the current key (a new IV), or the value itself when it already is. */
  reencrypt(stored: string, context: string): string {
    return this.isCurrent(stored) ? stored : this.encrypt(this.decrypt(stored, context), context);
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}:${keyId}|${context}`, 'utf8');
}

function parse(stored: string): { keyId: string; payload: Buffer } {
  const parts = typeof stored === 'string' ? stored.split(':') : [];
  if (parts.length !== 3 || parts[0] !== VERSION || !PII_KEY_ID.test(parts[1]) || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[2])) {
    throw new PiiDecryptError('format', null, 'not an encrypted value of a known format');
  }
  const payload = Buffer.from(parts[2], 'base64');
  if (payload.length < IV_BYTES + TAG_BYTES) throw new PiiDecryptError('format', parts[1], 'not an encrypted value of a known format');
  return { keyId: parts[1], payload };
}
