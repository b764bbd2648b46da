import { bearer, TEST_ADMIN_KEY, type TestApp } from '../../test/support/app';
import { apiKey } from '../../test/support/factories';
import { cardUid, issueCard, registerResident } from '../../test/support/residents';
import { openStream, type SseStream } from '../../test/support/sse';
import { BridgeProcess } from './support/bridge';
import { describeWithReaders, startListeningService } from './support/e2e';
import { startPcscd, type Pcscd } from './support/pcscd';
import { FlakyProxy } from './support/proxy';
import { VirtualCard } from './support/virtual-card';

/** A tap goes reader → pcscd → bridge → POST → NOTIFY or memory → stream: generous on a shared CI machine. */
const STREAM_MS = 10_000;

describeWithReaders('desk reader bridge in station mode: taps on pcscd reach the station console stream', () => {
  let pcscd: Pcscd;
  let t: TestApp;
  let url: string;
  let port: number;
  let operator: string;
  const bridges: BridgeProcess[] = [];
  const streams: SseStream[] = [];

  beforeAll(async () => {
    pcscd = await startPcscd();
    ({ t, url, port } = await startListeningService());
    operator = (await apiKey(t, 'operator')).key;
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
  });
  afterAll(async () => {
    await t?.close();
    await pcscd?.dispose();
  });

  async function bridge(args: string[], api = url, key = operator): Promise<BridgeProcess> {
    const b = new BridgeProcess(['station', ...args], { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: api, CARD_READER_KEY: key });
    bridges.push(b);
    await b.event('ready');
    return b;
  }

  /** The station's stream, read the way the console reads it: the operator key in the Authorization header. */
  async function watch(station: string): Promise<SseStream> {
    const s = await openStream(url, station, operator);
    streams.push(s);
    expect(s.status).toBe(200);
    await s.next('ready', STREAM_MS);
    return s;
  }

  const tap = (b: BridgeProcess, uid: string, event = 'tap') => b.tap(pcscd, new VirtualCard({ uid }), (e) => e.event === event && e.uid === uid);

  test('a blank card and an issued card: each tap reaches the station stream with the card it is, and the bridge says so', async () => {
    const s1 = await watch('S1');
    const s2 = await watch('S2');
    const b = await bridge(['--station', 'S1']);

    const blank = cardUid(4);
    expect(await tap(b, blank)).toMatchObject({ station: 'S1', uid: blank, reader: pcscd.readerName, result: 'blank', card: null, retired: false, attempts: 1 });
    expect((await s1.next('tap', STREAM_MS)).data).toEqual({ station: 'S1', uid: blank, at: expect.any(String), card: null, retired: false });

    const resident = await registerResident(t, { name: '张秀英' });
    const card = await issueCard(t, resident.id);
    expect(await tap(b, card.uid)).toMatchObject({
      result: 'card',
      uid: card.uid,
      card: { id: card.id, status: 'active', residentId: resident.id, name: '张*英', idNumberMasked: resident.idNumberMasked },
      retired: false,
    });
    expect((await s1.next('tap', STREAM_MS)).data).toEqual({
      station: 'S1',
      uid: card.uid,
      at: expect.any(String),
      card: { ...card, resident: { id: resident.id, name: '张秀英', idNumberMasked: resident.idNumberMasked } },
      retired: false,
    });
    // The bridge prints the holder masked; the full ID number never leaves the service.
    expect(JSON.stringify(b.events)).not.toContain('张秀英');
    expect(JSON.stringify(b.events)).not.toContain(resident.sent.idNumber);
    // Another station's console sees none of it.
    expect(await s2.collect('tap', 300)).toEqual([]);
    expect(b.events.some((e) => e.event === 'error' || e.event === 'fatal' || e.event === 'tap-failed')).toBe(false);
    expect(await b.stop()).toEqual({ code: 0, signal: null });
  });

  test('a retired UID (a lost card, closed) is reported as such', async () => {
    const s1 = await watch('S1');
    const card = await issueCard(t, (await registerResident(t)).id);
    await t.http.post(`/v1/cards/${card.id}/lock`).set(bearer(TEST_ADMIN_KEY)).send({ reason: 'lost' }).expect(200);
    await t.http.post(`/v1/cards/${card.id}/close`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', `close-${card.id}`).expect(200);
    const b = await bridge(['--station', 'S1']);

    expect(await tap(b, card.uid)).toMatchObject({ result: 'retired', card: null, retired: true });
    expect((await s1.next('tap', STREAM_MS)).data).toMatchObject({ uid: card.uid, card: null, retired: true });
  });

  test('the service out of reach: the tap is retried, then given up with a message; the bridge carries on', async () => {
    const proxy = await FlakyProxy.start(port);
    try {
      const s1 = await watch('S1');
      const b = await bridge(['--station', 'S1', '--retry-for', '1'], proxy.url);
      proxy.down();

      const lost = cardUid();
      const failed = await tap(b, lost, 'tap-failed');
      expect(failed).toMatchObject({ station: 'S1', uid: lost, reason: expect.stringContaining('cannot reach the service') });
      // 200 ms, then 500 ms between attempts within --retry-for 1: three attempts, two on a slow machine.
      expect(failed.attempts).toBeGreaterThanOrEqual(2);
      expect(b.events.filter((e) => e.event === 'retrying' && e.uid === lost)).toHaveLength((failed.attempts as number) - 1);

      await proxy.up();
      const next = cardUid();
      expect(await tap(b, next)).toMatchObject({ result: 'blank', uid: next });
      expect((await s1.next('tap', STREAM_MS)).data).toMatchObject({ station: 'S1', uid: next });
      expect(await s1.collect('tap', 300)).toEqual([]);
      expect(b.events.some((e) => e.event === 'fatal')).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  test('a key that may not report taps stops the bridge at once, with exit code 1', async () => {
    const till = (await apiKey(t, 'merchant')).key;
    const b = new BridgeProcess(['station', '--station', 'S1'], { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: url, CARD_READER_KEY: till });
    bridges.push(b);
    expect(await b.exited).toEqual({ code: 1, signal: null });
    expect(b.events).toContainEqual(expect.objectContaining({ event: 'fatal', message: expect.stringContaining('this API key may not report taps') }));
  });
});
