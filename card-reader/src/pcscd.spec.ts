import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcscdProblem, pcscdSocketPath, probePcscd } from './pcscd';

describe('probePcscd', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'probe-spec-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('no socket file: ENOENT', async () => {
    expect(await probePcscd(join(dir, 'none.comm'))).toEqual({ ok: false, code: 'ENOENT' });
  });

  test('something answering: ok; the file left once nothing listens (a dead pcscd): ECONNREFUSED', async () => {
    const path = join(dir, 'pcscd.comm');
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(`${path}.tmp`, () => r()));
    renameSync(`${path}.tmp`, path);
    expect(await probePcscd(path)).toEqual({ ok: true });
    await new Promise((r) => server.close(r));
    expect(await probePcscd(path)).toEqual({ ok: false, code: 'ECONNREFUSED' });
  });
});

test('the socket path: PCSCLITE_CSOCK_NAME, else pcsc-lite default', () => {
  expect(pcscdSocketPath({})).toBe('/run/pcscd/pcscd.comm');
  expect(pcscdSocketPath({ PCSCLITE_CSOCK_NAME: '/tmp/x.comm' })).toBe('/tmp/x.comm');
});

test.each([
  ['ENOENT', 'pcscd is not running: there is no socket at /run/pcscd/pcscd.comm. Start it with `sudo systemctl start pcscd.socket`'],
  ['ECONNREFUSED', 'is left over from a pcscd that stopped'],
  ['EACCES', 'not allowed to talk to pcscd'],
  ['ETIMEDOUT', 'does not answer; restart it'],
])('pcscdProblem(%s) says what to do', (code, text) => {
  expect(pcscdProblem('/run/pcscd/pcscd.comm', code)).toContain(text);
});
