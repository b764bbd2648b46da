import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowlistError, apply, canonicalUid, opensAt, publicKeyFrom, readAllowlistFile, replay, verified, writeAllowlistFile, type AllowlistFile, type Signed } from './allowlist';

const DOOR = '7f6b1c2a-0000-4000-8000-00000000d001';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function signed(doc: object, key = privateKey): Signed {
  const body = Buffer.from(JSON.stringify(doc));
  return { body: body.toString('base64'), signature: sign(null, body, key).toString('base64') };
}

describe('verified', () => {
  test('the document, when the signature covers exactly these bytes', () => {
    expect(verified(signed({ doorId: DOOR, version: 1, uids: [] }), publicKey)).toEqual({ doorId: DOOR, version: 1, uids: [] });
  });

  test('one byte changed, or another key: refused', () => {
    const doc = signed({ doorId: DOOR, version: 1, uids: ['04A1B2C3'] });
    const changed = Buffer.from(doc.body, 'base64');
    changed[changed.length - 3] ^= 1;
    expect(() => verified({ ...doc, body: changed.toString('base64') }, publicKey)).toThrow(AllowlistError);
    const other = generateKeyPairSync('ed25519');
    expect(() => verified(signed({ doorId: DOOR, version: 1, uids: [] }, other.privateKey), publicKey)).toThrow('signature does not verify');
    expect(() => verified({ ...doc, signature: '' }, publicKey)).toThrow('signature does not verify');
  });

  test('a key that is not Ed25519 is refused', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => publicKeyFrom(rsa)).toThrow('not Ed25519');
  });
});

describe('apply', () => {
  const full = { doorId: DOOR, version: 3, uids: ['04a1b2c3', '04:A1:B2:C4'], limits: { '04A1B2C4': [{ hours: { from: '08:00', to: '18:00' } }] } };

  test('a whole list replaces the state; UIDs canonical; limits kept per UID', () => {
    const state = apply(null, full, DOOR);
    expect(state.version).toBe(3);
    expect([...state.entries]).toEqual([
      ['04A1B2C3', null],
      ['04A1B2C4', [{ hours: { from: '08:00', to: '18:00' } }]],
    ]);
  });

  test('a delta adds and removes; an added UID takes its new limits, or none', () => {
    const state = apply(apply(null, full, DOOR), { doorId: DOOR, version: 5, since: 3, added: ['04A1B2C4', '04A1B2C5'], removed: ['04A1B2C3'], limits: {} }, DOOR);
    expect(state.version).toBe(5);
    expect([...state.entries]).toEqual([
      ['04A1B2C4', null],
      ['04A1B2C5', null],
    ]);
  });

  test.each([
    [{ ...full, doorId: 'another' }, 'not ' + DOOR],
    [{ ...full, version: '3' }, 'version is not an integer'],
    [{ ...full, uids: [1] }, 'not a list of strings'],
    [{ ...full, limits: [] }, 'limits are not an object'],
  ])('refused: %p', (doc, message) => {
    expect(() => apply(null, doc, DOOR)).toThrow(message);
  });

  test('a delta needs a list, and may not go back in time', () => {
    expect(() => apply(null, { doorId: DOOR, version: 4, added: [], removed: [] }, DOOR)).toThrow('needs a whole list');
    expect(() => apply(apply(null, full, DOOR), { doorId: DOOR, version: 2, added: [], removed: [] }, DOOR)).toThrow('older');
  });
});

describe('the file', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'allowlist-spec-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (): AllowlistFile => ({
    format: 1,
    doorId: DOOR,
    publicKey: PEM,
    base: signed({ doorId: DOOR, version: 1, uids: ['04A1B2C3', '04A1B2C4'] }),
    deltas: [signed({ doorId: DOOR, version: 2, added: ['04A1B2C5'], removed: ['04A1B2C3'] })],
  });

  test('written, read back and replayed: the whole list and every delta, each verified', () => {
    const path = join(dir, 'nested', 'door.json');
    writeAllowlistFile(path, file());
    const state = replay(readAllowlistFile(path)!, DOOR, publicKey);
    expect(state.version).toBe(2);
    expect([...state.entries.keys()]).toEqual(['04A1B2C4', '04A1B2C5']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(file());
  });

  test('no file: null', () => {
    expect(readAllowlistFile(join(dir, 'none.json'))).toBeNull();
  });

  test('a delta edited on disk spoils the whole file', () => {
    const f = file();
    f.deltas[0] = { ...f.deltas[0], body: Buffer.from(JSON.stringify({ doorId: DOOR, version: 2, added: ['FFFFFFFF'], removed: [] })).toString('base64') };
    expect(() => replay(f, DOOR, publicKey)).toThrow('signature does not verify');
  });

  test("another door's file is refused", () => {
    expect(() => replay(file(), '00000000-0000-4000-8000-000000000000', publicKey)).toThrow('another door');
  });
});

describe('opensAt (Asia/Shanghai, UTC+8)', () => {
  const at = (shanghai: string) => new Date(`${shanghai}+08:00`);

  test('no limits: any time', () => {
    expect(opensAt(null, at('2026-11-29T03:00:00'))).toBe(true);
  });

  test('hours: from inclusive, to exclusive, in Shanghai time', () => {
    const w = [{ hours: { from: '08:00', to: '18:00' } }];
    expect(opensAt(w, at('2026-11-29T08:00:00'))).toBe(true);
    expect(opensAt(w, at('2026-11-29T17:59:59'))).toBe(true);
    expect(opensAt(w, at('2026-11-29T18:00:00'))).toBe(false);
    expect(opensAt(w, new Date('2026-11-29T01:00:00Z'))).toBe(true); // 09:00 in Shanghai
  });

  test('hours past midnight', () => {
    const w = [{ hours: { from: '22:00', to: '06:00' } }];
    expect(opensAt(w, at('2026-11-29T23:30:00'))).toBe(true);
    expect(opensAt(w, at('2026-11-30T05:59:00'))).toBe(true);
    expect(opensAt(w, at('2026-11-30T12:00:00'))).toBe(false);
  });

  test('days inclusive; any one window suffices', () => {
    const w = [{ validFrom: '2026-12-01', validUntil: '2026-12-31' }, { validFrom: '2027-02-01' }];
    expect(opensAt(w, at('2026-11-30T23:59:00'))).toBe(false);
    expect(opensAt(w, at('2026-12-01T00:00:00'))).toBe(true);
    expect(opensAt(w, at('2026-12-31T23:59:00'))).toBe(true);
    expect(opensAt(w, at('2027-01-15T12:00:00'))).toBe(false);
    expect(opensAt(w, at('2027-03-01T12:00:00'))).toBe(true);
  });

  test('a window it cannot read never opens the door', () => {
    expect(opensAt([{ hours: { from: '8am', to: '18:00' } }], at('2026-11-29T12:00:00'))).toBe(false);
    expect(opensAt([{ validFrom: 20261201 as unknown as string }], at('2026-12-02T12:00:00'))).toBe(false);
    expect(opensAt([], at('2026-12-02T12:00:00'))).toBe(false);
  });
});

test('canonicalUid', () => {
  expect(canonicalUid('04:a1-b2 c3')).toBe('04A1B2C3');
});
