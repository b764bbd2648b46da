import { randomBytes } from 'node:crypto';
import { PiiCipher, PiiDecryptError, PiiKeyError, PiiKeyring } from './pii-cipher';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const k1 = key('k1');
const k2 = key('k2');
const CONTEXT = 'residents.phone/0b7c3c1e-3f0a-4c55-9d4e-5a1f2b3c4d5e';

function decryptError(fn: () => unknown): PiiDecryptError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PiiDecryptError) return err;
    throw err;
  }
  throw new Error('expected a PiiDecryptError');
}

describe('PiiKeyring.parse', () => {
  test('the first key is current; every key is there to decrypt', () => {
    const ring = PiiKeyring.parse(`${k2}, ${k1}`);
    expect(ring.current.id).toBe('k2');
    expect(ring.ids).toEqual(['k2', 'k1']);
    expect(ring.key('k1')).toHaveLength(32);
    expect(ring.key('k3')).toBeUndefined();
  });

  test('generate makes a valid one-key ring', () => {
    const ring = PiiKeyring.parse(PiiKeyring.generate('k7'));
    expect(ring.ids).toEqual(['k7']);
  });

  test.each([
    ['empty', ''],
    ['no id', randomBytes(32).toString('base64')],
    ['16 bytes', `k1:${randomBytes(16).toString('base64')}`],
    ['33 bytes', `k1:${randomBytes(33).toString('base64')}`],
    ['an id with a colon', `k:1:${randomBytes(32).toString('base64')}`],
    ['an id too long', `${'k'.repeat(33)}:${randomBytes(32).toString('base64')}`],
    ['a trailing comma', `${k1},`],
    ['the same id twice', `${k1},${key('k1')}`],
  ])('refuses %s, naming the variable and never the key', (_, text) => {
    let error: unknown;
    try {
      PiiKeyring.parse(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PiiKeyError);
    expect((error as Error).message).toMatch(/^PII_KEYS/);
    for (const part of text.split(/[:,]/)) if (part.length > 20) expect((error as Error).message).not.toContain(part);
  });
});

describe('PiiCipher', () => {
  const cipher = new PiiCipher(PiiKeyring.parse(k1));

  test('round trip, including text that is not ASCII', () => {
    for (const plain of ['13800138000', '11010519491231002X', '张秀英 021-12345678', '']) {
      expect(cipher.decrypt(cipher.encrypt(plain, CONTEXT), CONTEXT)).toBe(plain);
    }
  });

  test('stored as v1:<key id>:<base64>, with a fresh IV every time, and no plaintext in it', () => {
    const a = cipher.encrypt('13800138000', CONTEXT);
    const b = cipher.encrypt('13800138000', CONTEXT);
    expect(a).toMatch(/^v1:k1:[A-Za-z0-9+/]+={0,2}$/);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split(':')[2], 'base64')).toHaveLength(12 + 11 + 16);
    expect(a).not.toContain('13800138000');
    expect(cipher.keyIdOf(a)).toBe('k1');
  });

  test('tampering is detected: any flipped bit of IV, ciphertext or tag', () => {
    const stored = cipher.encrypt('11010519491231002X', CONTEXT);
    const payload = Buffer.from(stored.split(':')[2], 'base64');
    for (let i = 0; i < payload.length; i++) {
      const forged = Buffer.from(payload);
      forged[i] ^= 0x01;
      const err = decryptError(() => cipher.decrypt(`v1:k1:${forged.toString('base64')}`, CONTEXT));
      expect(err.reason).toBe('authentication');
      expect(err.message).not.toContain('11010519491231002X');
    }
  });

  test('a value moved to another row or column does not decrypt (the context is authenticated)', () => {
    const stored = cipher.encrypt('13800138000', CONTEXT);
    expect(decryptError(() => cipher.decrypt(stored, 'residents.phone/another-row')).reason).toBe('authentication');
    expect(decryptError(() => cipher.decrypt(stored, CONTEXT.replace('phone', 'id_number'))).reason).toBe('authentication');
  });

  test('a value relabelled with another key id does not decrypt', () => {
    const both = new PiiCipher(PiiKeyring.parse(`${k2},${k1}`));
    const stored = both.encrypt('13800138000', CONTEXT);
    expect(decryptError(() => both.decrypt(stored.replace('v1:k2:', 'v1:k1:'), CONTEXT)).reason).toBe('authentication');
  });

  test('an unknown key id is named, not guessed', () => {
    const other = new PiiCipher(PiiKeyring.parse(k2));
    const err = decryptError(() => other.decrypt(cipher.encrypt('13800138000', CONTEXT), CONTEXT));
    expect(err.reason).toBe('unknown_key');
    expect(err.keyId).toBe('k1');
    expect(err.message).toContain('"k1"');
  });

  test('the same id with a different key is an authentication failure', () => {
    const impostor = new PiiCipher(PiiKeyring.parse(key('k1')));
    expect(decryptError(() => impostor.decrypt(cipher.encrypt('13800138000', CONTEXT), CONTEXT)).reason).toBe('authentication');
  });

  test.each([['plain text', '13800138000'], ['another version', 'v2:k1:AAAA'], ['a short payload', 'v1:k1:AAAA'], ['not base64', 'v1:k1:@@@@']])(
    'a value of no known format (%s) is refused',
    (_, stored) => {
      expect(decryptError(() => cipher.decrypt(stored, CONTEXT)).reason).toBe('format');
    },
  );

  test('rotation: with a new current key, old values still decrypt, and reencrypt moves them to the new key', () => {
    const old = cipher.encrypt('11010519491231002X', CONTEXT);
    const rotated = new PiiCipher(PiiKeyring.parse(`${k2},${k1}`));
    expect(rotated.decrypt(old, CONTEXT)).toBe('11010519491231002X');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.keyIdOf(rotated.encrypt('x', CONTEXT))).toBe('k2');

    const moved = rotated.reencrypt(old, CONTEXT);
    expect(rotated.keyIdOf(moved)).toBe('k2');
    expect(rotated.isCurrent(moved)).toBe(true);
    expect(rotated.reencrypt(moved, CONTEXT)).toBe(moved);
    // Once everything is moved, the old key can go.
    const onlyNew = new PiiCipher(PiiKeyring.parse(k2));
    expect(onlyNew.decrypt(moved, CONTEXT)).toBe('11010519491231002X');
    expect(decryptError(() => onlyNew.decrypt(old, CONTEXT)).reason).toBe('unknown_key');
  });
});
