import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bearer, TEST_ADMIN_KEY, type TestApp } from '../../test/support/app';
import { apiKey, merchant } from '../../test/support/factories';
import { issueCard, registerResident } from '../../test/support/residents';
import { BridgeProcess } from './support/bridge';
import { describeWithReaders, startListeningService } from './support/e2e';
import { startPcscd, type Pcscd } from './support/pcscd';
import { FlakyProxy } from './support/proxy';
import { VirtualCard } from './support/virtual-card';

describeWithReaders('desk reader bridge when pcscd or the network fail', () => {
  let pcscd: Pcscd;
  let t: TestApp;
  let url: string;
  let port: number;
  let operator: string;
  let workDir: string;
  const bridges: BridgeProcess[] = [];

  beforeAll(async () => {
    pcscd = await startPcscd();
    ({ t, url, port } = await startListeningService());
    operator = (await apiKey(t, 'operator')).key;
    workDir = mkdtempSync(join(tmpdir(), 'card-reader-resilience-'));
  });
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
  });
  afterAll(async () => {
    await t?.close();
    await pcscd?.dispose();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  function spawnBridge(args: string[], key: string, env: Record<string, string> = {}): BridgeProcess {
    const b = new BridgeProcess(args, { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: url, CARD_READER_KEY: key, ...env });
    bridges.push(b);
    return b;
  }

  async function bridge(args: string[], key: string, env: Record<string, string> = {}): Promise<BridgeProcess> {
    const b = spawnBridge(args, key, env);
    await b.event('ready');
    return b;
  }

  describe('pcscd', () => {
    test('not running (no socket): a clear message and exit code 3, not a hang', async () => {
      const b = spawnBridge(['lookup'], operator, { PCSCLITE_CSOCK_NAME: join(workDir, 'no-such-dir', 'pcscd.comm') });

      expect(await b.exited).toEqual({ code: 3, signal: null });
      expect(b.events).toEqual([expect.objectContaining({ event: 'reader-setup-failed', message: expect.stringMatching(/^pcscd is not running: there is no socket at .*pcscd\.comm\. Start it/) })]);
    });

    test('dead, its socket left behind (nfc-pcsc would spin on it for ever): the same, exit code 3', async () => {
      const dead = await startPcscd();
      try {
        await dead.stop();
        const b = spawnBridge(['readers'], operator, { PCSCLITE_CSOCK_NAME: dead.socketPath });

        expect(await b.exited).toEqual({ code: 3, signal: null });
        expect(b.events).toEqual([expect.objectContaining({ event: 'reader-setup-failed', message: expect.stringContaining('is left over from a pcscd that stopped') })]);
      } finally {
        await dead.dispose();
      }
    });

    test('hung (its socket accepts, nothing ever answers): the worker is given up on, a clear message, exit code 3', async () => {
      const path = join(workDir, 'hung.comm');
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(path, () => resolve()));
      try {
        const b = spawnBridge(['readers'], operator, { PCSCLITE_CSOCK_NAME: path });

        expect(await b.exited).toEqual({ code: 3, signal: null });
        expect(b.events).toEqual([expect.objectContaining({ event: 'reader-setup-failed', message: expect.stringContaining('does not answer; restart it') })]);
      } finally {
        silent.close();
      }
    });

    test('restarted mid-session: the bridge says so, waits, and carries on with the next tap', async () => {
      const card = await issueCard(t, (await registerResident(t)).id);
      const b = await bridge(['lookup'], operator);
      expect(await b.tap(pcscd, new VirtualCard({ uid: card.uid }), (e) => e.event === 'lookup')).toMatchObject({ found: true });

      const from = b.mark();
      await pcscd.stop();
      await b.event('pcscd-lost', from);
      await pcscd.start();
      await b.event('pcscd-back', from);
      await b.waitFor((e) => e.event === 'reader' && e.name === pcscd.readerName, from);

      // Another card: the first one again this soon would be the same tap to the debouncer.
      const next = await issueCard(t, (await registerResident(t)).id);
      expect(await b.tap(pcscd, new VirtualCard({ uid: next.uid }), (e) => e.event === 'lookup')).toMatchObject({ uid: next.uid, found: true, status: 'active' });
      expect(b.events.some((e) => e.event === 'error' || e.event === 'fatal')).toBe(false);
    });
  });

  describe('the network during pay', () => {
    let proxy: FlakyProxy;
    let till: string;
    let merchantId: string;
    beforeAll(async () => {
      proxy = await FlakyProxy.start(port);
      merchantId = (await merchant(t)).id;
      till = (await apiKey(t, 'merchant', { merchantId })).key;
    });
    afterEach(async () => {
      await proxy.up();
      proxy.dropAnswers(0);
    });
    afterAll(async () => {
      await proxy?.close();
    });

    async function cardWith(amount: string) {
      const card = await issueCard(t, (await registerResident(t)).id);
      const res = await t.http.post('/v1/top-ups').set(bearer(operator)).set('Idempotency-Key', randomUUID()).send({ cardId: card.id, amount, method: 'cash' });
      expect(res.status).toBe(201);
      return card;
    }

    async function approvedPaymentsOf(cardId: string) {
      const res = await t.http.get(`/v1/merchants/${merchantId}/payments?limit=500`).set(bearer(TEST_ADMIN_KEY));
      return (res.body.items as { cardId: string; status: string }[]).filter((p) => p.cardId === cardId && p.status === 'approved');
    }

    test('the answer lost after the service charged: retried with the same Idempotency-Key, charged once', async () => {
      const card = await cardWith('50.00');
      const b = await bridge(['pay', '--amount', '12.50'], till, { CARD_READER_API: proxy.url });
      proxy.dropAnswers(1);

      const paid = await b.tap(pcscd, new VirtualCard({ uid: card.uid }), (e) => e.event === 'payment');

      expect(proxy.dropped).toBe(1);
      expect(paid).toMatchObject({ result: 'approved', uid: card.uid, attempts: 2, replayed: true, balance: { cash: '37.50' } });
      const retry = b.events.find((e) => e.event === 'retrying');
      expect(retry).toMatchObject({ uid: card.uid, idempotencyKey: paid.idempotencyKey, attempt: 1 });
      expect(await approvedPaymentsOf(card.id)).toHaveLength(1);
      expect((await t.http.get(`/v1/cards/${card.id}/balance`).set(bearer(operator))).body.cash).toBe('37.50');
    });

    test('the service out of reach for a while: retried until it answers, charged once', async () => {
      const card = await cardWith('50.00');
      const b = await bridge(['pay', '--amount', '20.00'], till, { CARD_READER_API: proxy.url });
      proxy.down();

      const paid = b.tap(pcscd, new VirtualCard({ uid: card.uid }), (e) => e.event === 'payment');
      await b.event('retrying');
      await proxy.up();

      expect(await paid).toMatchObject({ result: 'approved', attempts: expect.any(Number), balance: { cash: '30.00' } });
      expect((await paid).attempts).toBeGreaterThan(1);
      expect(await approvedPaymentsOf(card.id)).toHaveLength(1);
    });

    test('still no answer after --retry-for: UNCONFIRMED; the next tap of that card finishes the same payment, not a second one', async () => {
      const card = await cardWith('50.00');
      const b = await bridge(['pay', '--amount', '10.00', '--retry-for', '1', '--debounce', '0'], till, { CARD_READER_API: proxy.url });
      proxy.dropAnswers(1, { thenDown: true });

      const unconfirmed = await b.tap(pcscd, new VirtualCard({ uid: card.uid }), (e) => e.event === 'payment');
      expect(unconfirmed).toMatchObject({ result: 'unconfirmed', uid: card.uid, amount: '10.00' });
      await proxy.up();
      const paid = await b.tap(pcscd, new VirtualCard({ uid: card.uid }), (e) => e.event === 'payment' && e.result !== 'unconfirmed');

      expect(paid).toMatchObject({ result: 'approved', replayed: true, idempotencyKey: unconfirmed.idempotencyKey, balance: { cash: '40.00' } });
      expect(await approvedPaymentsOf(card.id)).toHaveLength(1);
    });
  });
});
