import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TEST_ADMIN_KEY, type TestApp } from '../../test/support/app';
import { apiKey } from '../../test/support/factories';
import { cardUid, issueCard, registerResident, type CardView } from '../../test/support/residents';
import type { AllowlistFile } from '../src/allowlist';
import { BridgeProcess, type BridgeEvent } from './support/bridge';
import { describeWithReaders, startListeningService } from './support/e2e';
import { startPcscd, type Pcscd } from './support/pcscd';
import { FlakyProxy } from './support/proxy';
import { VirtualCard } from './support/virtual-card';

describeWithReaders('desk reader bridge at a door', () => {
  let pcscd: Pcscd;
  let t: TestApp;
  let url: string;
  let proxy: FlakyProxy;
  let operator: string;
  let doorId: string;
  let doorKey: string;
  /** This test file's own community, so the gate's list holds only its residents. */
  const community = `读卡器-${randomBytes(4).toString('hex')}`;
  const dirs: string[] = [];
  const bridges: BridgeProcess[] = [];

  beforeAll(async () => {
    pcscd = await startPcscd();
    let port: number;
    ({ t, url, port } = await startListeningService());
    proxy = await FlakyProxy.start(port);
    operator = (await apiKey(t, 'operator')).key;
    const gate = await t.http.post('/v1/doors').set(bearer(TEST_ADMIN_KEY)).send({ name: `${community} gate`, community });
    expect(gate.status).toBe(201);
    doorId = gate.body.id;
    doorKey = (await apiKey(t, 'door', { doorIds: [doorId] })).key;
  });
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
    await proxy.up();
  });
  afterAll(async () => {
    await proxy?.close();
    await t?.close();
    await pcscd?.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function stateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'card-reader-door-'));
    dirs.push(dir);
    return dir;
  }

  /** A door bridge; the same card may tap twice in a row here, so no debounce. */
  async function doorBridge(opts: { api?: string; state?: string; args?: string[]; key?: string } = {}): Promise<BridgeProcess> {
    const b = new BridgeProcess(['door', '--door', doorId, '--debounce', '0', ...(opts.args ?? [])], {
      PCSCLITE_CSOCK_NAME: pcscd.socketPath,
      CARD_READER_API: opts.api ?? url,
      CARD_READER_KEY: opts.key ?? doorKey,
      CARD_READER_STATE_DIR: opts.state ?? stateDir(),
    });
    bridges.push(b);
    await b.event('ready');
    return b;
  }

  const resident = () => registerResident(t, { address: { community, building: '1号楼', room: '101' } });
  const access = (b: BridgeProcess, uid: string) => b.tap(pcscd, new VirtualCard({ uid }), (e) => e.event === 'access');
  const lock = async (card: CardView) => expect((await t.http.post(`/v1/cards/${card.id}/lock`).set(bearer(operator)).send({ reason: 'lost' })).status).toBe(200);
  const listFile = (dir: string) => join(dir, `door-${doorId}.json`);

  test('a resident of the community is let in; once the card is locked, denied', async () => {
    const card = await issueCard(t, (await resident()).id);
    const b = await doorBridge();

    expect(await access(b, card.uid)).toMatchObject({ decision: 'allow', reason: 'ok', cardId: card.id, source: 'service', doorId });
    await lock(card);
    expect(await access(b, card.uid)).toMatchObject({ decision: 'deny', reason: 'card_not_active', source: 'service' });
    expect(await access(b, cardUid())).toMatchObject({ decision: 'deny', reason: 'unknown_card' });
  });

  test('replaced by tap at the desk: the new card opens the door, the lost one no longer does', async () => {
    const old = await issueCard(t, (await resident()).id);
    await lock(old);
    const desk = new BridgeProcess(['issue', '--replace', old.id, '--reason', 'lost'], { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: url, CARD_READER_KEY: operator });
    bridges.push(desk);
    await desk.event('ready');
    const fresh = new VirtualCard({ uid: cardUid() });
    const issued = (await desk.tap(pcscd, fresh, (e) => e.event === 'issued')) as BridgeEvent & { card: CardView };
    expect(issued.card).toMatchObject({ uid: fresh.uid, replacesCardId: old.id, status: 'active' });
    expect(await desk.exited).toEqual({ code: 0, signal: null });

    const b = await doorBridge();
    expect(await access(b, fresh.uid)).toMatchObject({ decision: 'allow', reason: 'ok', cardId: issued.card.id });
    expect(await access(b, old.uid)).toMatchObject({ decision: 'deny', reason: 'card_not_active' });
  });

  test('out of reach of the service: decides from the signed list it keeps, says so, and still does after a restart', async () => {
    const card = await issueCard(t, (await resident()).id);
    const state = stateDir();
    const online = await doorBridge({ api: proxy.url, state });
    const synced = await online.waitFor((e) => e.event === 'allowlist' && e.source === 'service');
    const file = JSON.parse(readFileSync(listFile(state), 'utf8')) as AllowlistFile;
    expect(file).toMatchObject({ format: 1, doorId, deltas: [], publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
    expect(JSON.parse(Buffer.from(file.base.body, 'base64').toString())).toMatchObject({ doorId, version: synced.version, uids: expect.arrayContaining([card.uid]) });

    proxy.down();
    expect(await access(online, card.uid)).toMatchObject({ decision: 'allow', reason: 'ok', source: 'allowlist', listVersion: synced.version, offline: expect.any(String) });
    expect(await access(online, cardUid())).toMatchObject({ decision: 'deny', reason: 'no_access', source: 'allowlist' });
    await online.stop();

    const restarted = await doorBridge({ api: proxy.url, state });
    expect(restarted.events).toContainEqual(expect.objectContaining({ event: 'allowlist', source: 'file', version: synced.version }));
    expect(await access(restarted, card.uid)).toMatchObject({ decision: 'allow', source: 'allowlist' });
  });

  test('changes arrive as deltas: a card locked while online is denied offline after the next sync', async () => {
    const kept = await issueCard(t, (await resident()).id);
    const lost = await issueCard(t, (await resident()).id);
    const state = stateDir();
    const b = await doorBridge({ api: proxy.url, state, args: ['--sync', '1'] });
    const first = await b.waitFor((e) => e.event === 'allowlist' && e.source === 'service');

    await lock(lost);
    await b.waitFor((e) => e.event === 'allowlist' && e.source === 'service' && (e.version as number) > (first.version as number));
    const file = JSON.parse(readFileSync(listFile(state), 'utf8')) as AllowlistFile;
    expect(file.deltas.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(Buffer.from(file.deltas[file.deltas.length - 1].body, 'base64').toString())).toMatchObject({ doorId, removed: [lost.uid] });

    proxy.down();
    expect(await access(b, lost.uid)).toMatchObject({ decision: 'deny', reason: 'no_access', source: 'allowlist' });
    expect(await access(b, kept.uid)).toMatchObject({ decision: 'allow', source: 'allowlist' });
  });

  test('a list file altered on disk is not obeyed', async () => {
    const state = stateDir();
    const online = await doorBridge({ state });
    await online.waitFor((e) => e.event === 'allowlist' && e.source === 'service');
    await online.stop();
    const intruder = cardUid();
    const file = JSON.parse(readFileSync(listFile(state), 'utf8')) as AllowlistFile;
    const body = JSON.parse(Buffer.from(file.base.body, 'base64').toString());
    body.uids.push(intruder);
    writeFileSync(listFile(state), JSON.stringify({ ...file, base: { ...file.base, body: Buffer.from(JSON.stringify(body)).toString('base64') } }));

    proxy.down();
    const b = await doorBridge({ api: proxy.url, state });
    expect(b.events).toContainEqual(expect.objectContaining({ event: 'allowlist-invalid', reason: expect.stringContaining('signature does not verify') }));
    expect(await access(b, intruder)).toMatchObject({ decision: 'deny', reason: 'no_list', source: 'allowlist' });
  });
});
