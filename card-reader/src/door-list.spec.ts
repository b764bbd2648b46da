import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AllowlistFile } from './allowlist';
import { DoorList } from './door-list';
import { ApiClient } from './http';

const DOOR = '7f6b1c2a-0000-4000-8000-00000000d001';

/** A service answering the allowlist routes from `lists`, signed with `key`. */
function service(state: { key: { privateKey: KeyObject; publicKey: KeyObject }; answer: (since: string | null) => object; requests: string[] }) {
  const fetchImpl = (async (url: URL) => {
    state.requests.push(url.pathname + url.search);
    if (url.pathname === '/v1/access/public-key') {
      return Response.json({ algorithm: 'Ed25519', publicKey: state.key.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    }
    const body = Buffer.from(JSON.stringify(state.answer(url.searchParams.get('since'))));
    return new Response(body, { status: 200, headers: { Signature: sign(null, body, state.key.privateKey).toString('base64') } });
  }) as unknown as typeof fetch;
  return new ApiClient({ baseUrl: 'http://card.test', key: 'cck_door', timeoutMs: 1000, fetchImpl });
}

describe('DoorList', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'door-list-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('first sync: the key and the whole list; then deltas since its version, appended to the file', async () => {
    const state = {
      key: generateKeyPairSync('ed25519'),
      requests: [] as string[],
      answer: (since: string | null): object => (since === null ? { doorId: DOOR, version: 4, uids: ['04A1B2C3', '04A1B2C4'], limits: {} } : { doorId: DOOR, version: 6, since: 4, added: ['04A1B2C5'], removed: ['04A1B2C3'], limits: {} }),
    };
    const path = join(dir, 'door.json');
    const list = new DoorList(DOOR, path, service(state));

    expect(await list.sync()).toBe('updated');
    expect(list.decide('04a1b2c3')).toEqual({ decision: 'allow', reason: 'ok', version: 4 });
    expect(await list.sync()).toBe('updated');
    expect(state.requests).toEqual(['/v1/access/public-key', `/v1/doors/${DOOR}/allowlist`, `/v1/doors/${DOOR}/allowlist?since=4`]);
    expect(list.decide('04A1B2C3')).toEqual({ decision: 'deny', reason: 'no_access', version: 6 });
    expect(list.decide('04A1B2C5')).toEqual({ decision: 'allow', reason: 'ok', version: 6 });
    const file = JSON.parse(readFileSync(path, 'utf8')) as AllowlistFile;
    expect(file.deltas).toHaveLength(1);

    const reloaded = new DoorList(DOOR, path, service(state));
    expect(reloaded.load()).toBeNull();
    expect(reloaded.version).toBe(6);
    expect(reloaded.decide('04A1B2C5').decision).toBe('allow');
  });

  test('a delta that changes nothing is not stored', async () => {
    const state = {
      key: generateKeyPairSync('ed25519'),
      requests: [] as string[],
      answer: (since: string | null): object => (since === null ? { doorId: DOOR, version: 2, uids: ['04A1B2C3'] } : { doorId: DOOR, version: 2, since: 2, added: [], removed: [] }),
    };
    const path = join(dir, 'door.json');
    const list = new DoorList(DOOR, path, service(state));
    await list.sync();
    expect(await list.sync()).toBe('unchanged');
    expect((JSON.parse(readFileSync(path, 'utf8')) as AllowlistFile).deltas).toEqual([]);
  });

  test('UIDs listed with windows open the door only within them', async () => {
    const state = {
      key: generateKeyPairSync('ed25519'),
      requests: [] as string[],
      answer: (): object => ({ doorId: DOOR, version: 1, uids: ['04A1B2C3'], limits: { '04A1B2C3': [{ hours: { from: '08:00', to: '09:00' } }] } }),
    };
    const list = new DoorList(DOOR, join(dir, 'door.json'), service(state));
    await list.sync();
    expect(list.decide('04A1B2C3', new Date('2026-11-29T08:30:00+08:00'))).toMatchObject({ decision: 'allow' });
    expect(list.decide('04A1B2C3', new Date('2026-11-29T10:00:00+08:00'))).toMatchObject({ decision: 'deny', reason: 'outside_hours' });
  });

  test('the service signing with a new key: the list is fetched again whole, under that key', async () => {
    const state = { key: generateKeyPairSync('ed25519'), requests: [] as string[], answer: (since: string | null): object => (since === null ? { doorId: DOOR, version: 1, uids: ['04A1B2C3'] } : { doorId: DOOR, version: 2, since: 1, added: [], removed: ['04A1B2C3'] }) };
    const list = new DoorList(DOOR, join(dir, 'door.json'), service(state));
    await list.sync();
    state.key = generateKeyPairSync('ed25519');
    state.requests.length = 0;
    expect(await list.sync()).toBe('updated');
    expect(state.requests).toEqual([`/v1/doors/${DOOR}/allowlist?since=1`, '/v1/access/public-key', `/v1/doors/${DOOR}/allowlist`]);
  });

  test('a pinned key (--public-key) is never swapped for what the service offers', async () => {
    const pinned = generateKeyPairSync('ed25519');
    const state = { key: generateKeyPairSync('ed25519'), requests: [] as string[], answer: (): object => ({ doorId: DOOR, version: 1, uids: ['04A1B2C3'] }) };
    const list = new DoorList(DOOR, join(dir, 'door.json'), service(state), pinned.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await expect(list.sync()).rejects.toThrow('signature does not verify');
    expect(state.requests).not.toContain('/v1/access/public-key');
    expect(list.decide('04A1B2C3')).toEqual({ decision: 'deny', reason: 'no_list', version: null });
  });

  test('a file that does not verify is ignored, with the reason', async () => {
    const state = { key: generateKeyPairSync('ed25519'), requests: [] as string[], answer: (): object => ({ doorId: DOOR, version: 1, uids: ['04A1B2C3'] }) };
    const path = join(dir, 'door.json');
    await new DoorList(DOOR, path, service(state)).sync();
    const file = JSON.parse(readFileSync(path, 'utf8')) as AllowlistFile;
    file.base.signature = Buffer.alloc(64).toString('base64');
    writeFileSync(path, JSON.stringify(file));
    const list = new DoorList(DOOR, path, service(state));
    expect(list.load()).toMatch(/^ignoring .*door\.json: allowlist signature does not verify$/);
    expect(list.version).toBeNull();
  });
});
