import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ListRejected, OfflineController, OfflineError } from '../bench/access/offline-controller';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { check, door, doorKey } from './support/doors';
import { issueCard, registerResident } from './support/residents';

/**
 * The reference offline controller (bench/access/offline-controller.ts) against the
 * whole service, listening on a port. The controller reaches it through a small TCP
 * proxy that the test closes and reopens: that is the network going away and coming back.
 */

/** Forwards a local port to the app; close() refuses new connections and cuts the open ones. */
class Cable {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async plugIn(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async unplug(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let t: TestApp;
let cable: Cable;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  cable = new Cable((t.app.getHttpServer().address() as AddressInfo).port);
  await cable.plugIn();
});
afterAll(async () => {
  await cable?.unplug();
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const community = '阳光苑';

/** Shanghai local time (UTC+8) as a Date. */
const shanghai = (isoLocal: string) => new Date(`${isoLocal}+08:00`);

describe('offline door controller', () => {
  it('syncs, keeps deciding from its list when the network is gone, and catches up by a delta', async () => {
    const gate = await door(t, community);
    const key = await doorKey(t, gate.id);
    const alice = await registerResident(t, { address: { community, building: '1号楼' } });
    const aliceCard = await issueCard(t, alice.id);
    const bob = await registerResident(t, { address: { community, building: '2号楼' } });
    const bobCard = await issueCard(t, bob.id);
    // A cleaner from elsewhere, let in 07:00-19:00 Shanghai time.
    const carol = await registerResident(t, { address: { community: '别的小区', building: '9号楼' } });
    const carolCard = await issueCard(t, carol.id);
    const grant = await t.http.post(`/v1/doors/${gate.id}/grants`).set(admin).send({ residentId: carol.id, hours: { from: '07:00', to: '19:00' } });
    expect(grant.status).toBe(201);

    const controller = new OfflineController({ baseUrl: cable.url, doorId: gate.id, apiKey: key.Authorization.slice('Bearer '.length) });
    await controller.trustServerKey();
    const full = await controller.sync();
    expect(full).toMatchObject({ kind: 'full', from: null });
    expect(controller.snapshot()).toEqual({
      version: full.version,
      uids: [aliceCard.uid, bobCard.uid, carolCard.uid].sort(),
      limits: { [carolCard.uid]: [{ hours: { from: '07:00', to: '19:00' } }] },
    });

    // The list's windows, applied in Shanghai time by the controller itself.
    expect(controller.decideLocally(carolCard.uid, shanghai('2026-12-01T10:00:00'))).toEqual({ decision: 'allow', reason: 'ok' });
    expect(controller.decideLocally(carolCard.uid, shanghai('2026-12-01T19:00:00'))).toEqual({ decision: 'deny', reason: 'outside_hours' });
    expect(controller.decideLocally(carolCard.uid, shanghai('2026-12-01T06:59:00'))).toEqual({ decision: 'deny', reason: 'outside_hours' });
    expect(controller.decideLocally(aliceCard.uid.toLowerCase().match(/../g)!.join(':'))).toEqual({ decision: 'allow', reason: 'ok' });
    expect(controller.decideLocally('DEADBEEF')).toEqual({ decision: 'deny', reason: 'not_listed' });

    // Online, the service decides.
    expect(await controller.check(aliceCard.uid)).toEqual({ decision: 'allow', reason: 'ok', cardId: aliceCard.id, source: 'online' });
    expect(controller.online).toBe(true);

    // The network goes away.
    await cable.unplug();
    expect(await controller.check(aliceCard.uid)).toEqual({ decision: 'allow', reason: 'ok', source: 'offline' });
    expect(controller.online).toBe(false);

    // Alice's card is locked while the controller is cut off: the service denies it at once...
    expect((await t.http.post(`/v1/cards/${aliceCard.id}/lock`).set(admin).send({ reason: 'lost' })).status).toBe(200);
    expect(await check(t, key, gate.id, aliceCard.uid)).toEqual({ decision: 'deny', reason: 'card_not_active', cardId: aliceCard.id });
    // ...but the controller cannot know: offline it still lets the card in. That is the documented limit.
    expect(await controller.check(aliceCard.uid)).toEqual({ decision: 'allow', reason: 'ok', source: 'offline' });
    // A card issued meanwhile is not on its list either.
    const dave = await registerResident(t, { address: { community, building: '3号楼' } });
    const daveCard = await issueCard(t, dave.id);
    expect(await controller.check(daveCard.uid)).toEqual({ decision: 'deny', reason: 'not_listed', source: 'offline' });
    await expect(controller.sync()).rejects.toBeInstanceOf(OfflineError);
    expect(controller.version).toBe(full.version);

    // The network comes back: one delta from the version held.
    await cable.plugIn();
    const caught = await controller.sync();
    expect(caught).toEqual({ kind: 'delta', from: full.version, version: full.version + 1, added: [daveCard.uid], removed: [aliceCard.uid] });
    expect(controller.online).toBe(true);
    expect(controller.decideLocally(aliceCard.uid)).toEqual({ decision: 'deny', reason: 'not_listed' });
    expect(controller.decideLocally(daveCard.uid)).toEqual({ decision: 'allow', reason: 'ok' });
    expect(controller.snapshot().uids).toEqual([bobCard.uid, carolCard.uid, daveCard.uid].sort());
    expect(await controller.check(aliceCard.uid)).toEqual({ decision: 'deny', reason: 'card_not_active', cardId: aliceCard.id, source: 'online' });

    // Cut again: now the lock holds offline too.
    await cable.unplug();
    expect(await controller.check(aliceCard.uid)).toEqual({ decision: 'deny', reason: 'not_listed', source: 'offline' });
    expect(await controller.check(daveCard.uid)).toEqual({ decision: 'allow', reason: 'ok', source: 'offline' });
    await cable.plugIn();

    // Back: the next tap is still decided from the list at once, and starts a sync that finds the service again.
    expect(await controller.check(daveCard.uid)).toEqual({ decision: 'allow', reason: 'ok', source: 'offline' });
    for (let i = 0; i < 100 && !controller.online; i++) await new Promise((r) => setTimeout(r, 20));
    expect(controller.online).toBe(true);
    expect(await controller.check(daveCard.uid)).toEqual({ decision: 'allow', reason: 'ok', cardId: daveCard.id, source: 'online' });

    // Nothing changed since: a delta with nothing in it.
    expect(await controller.sync()).toEqual({ kind: 'delta', from: full.version + 1, version: full.version + 1, added: [], removed: [] });
  });

  it('rejects a tampered list, an old list replayed, and another door’s list, keeping the one it holds', async () => {
    const gate = await door(t, '翠竹苑');
    const other = await door(t, '翠竹苑', '5号楼');
    const key = await doorKey(t, gate.id, other.id);
    const apiKey = key.Authorization.slice('Bearer '.length);
    const erin = await registerResident(t, { address: { community: '翠竹苑', building: '5号楼' } });
    const erinCard = await issueCard(t, erin.id);

    const firstList = await t.http.get(`/v1/doors/${gate.id}/allowlist`).set(key);
    expect(firstList.status).toBe(200);

    // In transit, someone adds their own card to the list.
    const intruder = '04DEADBEEF0001';
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      const forged = text.replace('"uids":[', `"uids":["${intruder}",`);
      return new Response(forged, { status: res.status, headers: res.headers });
    };
    const fooled = new OfflineController({ baseUrl: cable.url, doorId: gate.id, apiKey, fetch: tampering });
    await fooled.trustServerKey();
    await expect(fooled.sync()).rejects.toMatchObject({ name: 'ListRejected', why: 'signature' });
    expect(fooled.version).toBeNull();
    expect(fooled.decideLocally(intruder)).toEqual({ decision: 'deny', reason: 'not_listed' });

    const controller = new OfflineController({ baseUrl: cable.url, doorId: gate.id, apiKey });
    await controller.trustServerKey();
    await controller.sync();
    expect(controller.decideLocally(erinCard.uid)).toEqual({ decision: 'allow', reason: 'ok' });

    // Erin's card is closed out (locked); the controller catches up.
    expect((await t.http.post(`/v1/cards/${erinCard.id}/lock`).set(admin).send({ reason: 'stolen' })).status).toBe(200);
    const caught = await controller.sync();
    expect(caught.removed).toEqual([erinCard.uid]);
    const held = controller.snapshot();

    // Tampered bytes with a real signature.
    const forgedText = firstList.text.replace('"uids":[', `"uids":["${intruder}",`);
    expect(() => controller.applySigned(forgedText, firstList.headers.signature)).toThrow(ListRejected);
    // The older list, validly signed, replayed: it would bring Erin's card back.
    expect(() => controller.applySigned(firstList.text, firstList.headers.signature)).toThrow(expect.objectContaining({ why: 'stale' }));
    // A validly signed list of another door.
    const otherList = await t.http.get(`/v1/doors/${other.id}/allowlist`).set(key);
    expect(() => controller.applySigned(otherList.text, otherList.headers.signature)).toThrow(expect.objectContaining({ why: 'door' }));
    // No signature at all.
    expect(() => controller.applySigned(firstList.text, '')).toThrow(expect.objectContaining({ why: 'signature' }));

    expect(controller.snapshot()).toEqual(held);
    expect(controller.decideLocally(erinCard.uid)).toEqual({ decision: 'deny', reason: 'not_listed' });
    expect(controller.decideLocally(intruder)).toEqual({ decision: 'deny', reason: 'not_listed' });
  });
});
