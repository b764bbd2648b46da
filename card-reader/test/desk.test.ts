import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TEST_ADMIN_KEY, type TestApp } from '../../test/support/app';
import { apiKey } from '../../test/support/factories';
import { cardUid, issueCard, registerResident } from '../../test/support/residents';
import { decodeCardData } from '../src/card-data';
import { BridgeProcess, type BridgeEvent } from './support/bridge';
import { describeWithReaders, startListeningService } from './support/e2e';
import { startPcscd, type Pcscd } from './support/pcscd';
import { VirtualCard } from './support/virtual-card';

describeWithReaders('desk reader bridge on pcscd with a virtual card: issue, lookup, pay', () => {
  let pcscd: Pcscd;
  let t: TestApp;
  let url: string;
  let operator: string;
  let stateDir: string;
  const bridges: BridgeProcess[] = [];

  beforeAll(async () => {
    pcscd = await startPcscd();
    ({ t, url } = await startListeningService());
    operator = (await apiKey(t, 'operator')).key;
    stateDir = mkdtempSync(join(tmpdir(), 'card-reader-state-'));
  });
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
  });
  afterAll(async () => {
    await t?.close();
    await pcscd?.dispose();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** A bridge in `args` mode, once it says it is ready for taps. */
  async function bridge(args: string[], key: string): Promise<BridgeProcess> {
    const b = new BridgeProcess(args, { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: url, CARD_READER_KEY: key, CARD_READER_STATE_DIR: stateDir });
    bridges.push(b);
    await b.event('ready');
    return b;
  }

  const tap = (b: BridgeProcess, card: VirtualCard, event: string) => b.tap(pcscd, card, (e) => e.event === event);

  async function topUp(cardId: string, amount: string): Promise<void> {
    const res = await t.http.post('/v1/top-ups').set(bearer(operator)).set('Idempotency-Key', randomUUID()).send({ cardId, amount, method: 'cash' });
    expect(res.status).toBe(201);
  }

  describe('issue', () => {
    test.each([4, 7] as const)('a tap of a blank MIFARE Classic with a %i-byte UID is issued to the resident; id and check value written to blocks 4-5 and read back', async (bytes) => {
      const resident = await registerResident(t);
      const card = new VirtualCard({ uid: cardUid(bytes) });
      const b = await bridge(['issue', '--resident', resident.id], operator);

      const issued = (await tap(b, card, 'issued')) as BridgeEvent & { card: { id: string } };

      expect(issued).toMatchObject({
        uid: card.uid,
        reader: pcscd.readerName,
        card: { uid: card.uid, residentId: resident.id, status: 'active', replacesCardId: null },
        data: { layout: 'classic', firstBlock: 4, blocks: 2, verified: true },
      });
      expect(card.read(4, 16).toString('hex')).toBe(issued.card.id.replace(/-/g, ''));
      expect(decodeCardData(card.read(4, 32), card.uid)).toEqual({ ok: true, cardId: issued.card.id });
      // Sector 1 opened with key A (FF 82 load, FF 86 authenticate block 4), then one 16-byte UPDATE BINARY per block.
      expect(card.apdus).toEqual(expect.arrayContaining(['FF82000006FFFFFFFFFFFF', 'FF860000050100046000', 'FFB0000410', 'FFB0000510']));
      expect(card.apdus.filter((a) => a.startsWith('FFD6'))).toEqual([expect.stringMatching(/^FFD6000410[0-9A-F]{32}$/), expect.stringMatching(/^FFD6000510[0-9A-F]{32}$/)]);
      const found = await t.http.get(`/v1/cards?uid=${card.uid}`).set(bearer(TEST_ADMIN_KEY));
      expect(found.body.items).toEqual([expect.objectContaining({ id: issued.card.id, residentId: resident.id, status: 'active' })]);
      expect(await b.exited).toEqual({ code: 0, signal: null });
    });

    test('an Ultralight/NTAG gets the same 32 bytes in pages 4-11', async () => {
      const resident = await registerResident(t);
      const card = new VirtualCard({ uid: cardUid(7), kind: 'ultralight' });
      const b = await bridge(['issue', '--resident', resident.id], operator);

      const issued = (await tap(b, card, 'issued')) as BridgeEvent & { card: { id: string } };

      expect(issued).toMatchObject({ data: { layout: 'ultralight', firstBlock: 4, blocks: 8, verified: true } });
      expect(decodeCardData(card.read(4, 32), card.uid)).toEqual({ ok: true, cardId: issued.card.id });
      expect(card.apdus.filter((a) => a.startsWith('FFD6')).map((a) => a.slice(0, 10))).toEqual(['FFD6000404', 'FFD6000504', 'FFD6000604', 'FFD6000704', 'FFD6000804', 'FFD6000904', 'FFD6000A04', 'FFD6000B04']);
      expect(card.apdus.some((a) => a.startsWith('FF86'))).toBe(false);
    });

    test('the card pulled away during the write: issued but not written; tapped again, the same card is written, not a second one issued', async () => {
      const resident = await registerResident(t);
      const uid = cardUid();
      const b = await bridge(['issue', '--resident', resident.id, '--debounce', '0'], operator);

      const failed = await b.tap(pcscd, new VirtualCard({ uid, leaveOnWrite: true }), (e) => e.event === 'write-failed');
      const again = new VirtualCard({ uid });
      const issued = (await tap(b, again, 'issued')) as BridgeEvent & { card: { id: string } };

      expect(issued.card.id).toBe(failed.cardId);
      expect(decodeCardData(again.read(4, 32), uid)).toEqual({ ok: true, cardId: failed.cardId });
      const cards = await t.http.get(`/v1/residents/${resident.id}/cards`).set(bearer(TEST_ADMIN_KEY));
      expect(cards.body.items).toEqual([expect.objectContaining({ id: failed.cardId, uid, status: 'active' })]);
    });

    test('a card already issued to someone else is refused and the bridge waits for another', async () => {
      const other = await registerResident(t);
      const taken = await issueCard(t, other.id);
      const resident = await registerResident(t);
      const b = await bridge(['issue', '--resident', resident.id], operator);

      const refused = await tap(b, new VirtualCard({ uid: taken.uid }), 'refused');
      expect(refused).toMatchObject({ uid: taken.uid, reason: expect.stringContaining('already in use') });

      const blank = new VirtualCard({ uid: cardUid() });
      expect(await tap(b, blank, 'issued')).toMatchObject({ card: { uid: blank.uid, residentId: resident.id } });
    });

    test('a resident that does not exist stops the bridge before any tap, with exit code 1', async () => {
      const b = new BridgeProcess(['issue', '--resident', randomUUID()], { PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: url, CARD_READER_KEY: operator });
      bridges.push(b);
      expect(await b.exited).toEqual({ code: 1, signal: null });
      expect(b.events).toContainEqual(expect.objectContaining({ event: 'fatal', message: expect.stringContaining('there is no resident') }));
    });
  });

  test('lookup: every tap prints status, masked name and balance; an unknown card says so', async () => {
    const resident = await registerResident(t, { name: '张秀英' });
    const card = await issueCard(t, resident.id);
    await topUp(card.id, '100.00');
    const b = await bridge(['lookup'], operator);

    expect(await tap(b, new VirtualCard({ uid: card.uid }), 'lookup')).toMatchObject({
      uid: card.uid,
      found: true,
      cardId: card.id,
      status: 'active',
      name: '张*英',
      balance: { cash: '100.00', total: '100.00', subsidies: [] },
    });
    const unknown = cardUid(4);
    expect(await tap(b, new VirtualCard({ uid: unknown }), 'lookup')).toMatchObject({ uid: unknown, found: false });
    expect(b.events.some((e) => e.event === 'error' || e.event === 'fatal')).toBe(false);
  });

  describe('pay', () => {
    let till: string;
    beforeAll(async () => {
      till = (await apiKey(t, 'merchant')).key;
    });

    test('approved with what is left, then declined with the reason', async () => {
      const rich = await registerResident(t);
      const richCard = await issueCard(t, rich.id);
      await topUp(richCard.id, '20.00');
      const poor = await issueCard(t, (await registerResident(t)).id);
      await topUp(poor.id, '5.00');
      const b = await bridge(['pay', '--amount', '12.50', '--description', '午餐'], till);

      expect(await tap(b, new VirtualCard({ uid: richCard.uid }), 'payment')).toMatchObject({
        result: 'approved',
        uid: richCard.uid,
        amount: '12.50',
        cardId: richCard.id,
        balance: { cash: '7.50', subsidy: '0.00' },
        attempts: 1,
        replayed: false,
      });
      expect(await tap(b, new VirtualCard({ uid: poor.uid }), 'payment')).toMatchObject({ result: 'declined', uid: poor.uid, reason: 'insufficient_funds' });
      expect(await tap(b, new VirtualCard({ uid: cardUid() }), 'payment')).toMatchObject({ result: 'declined', reason: 'unknown_card' });
      const balance = await t.http.get(`/v1/cards/${poor.id}/balance`).set(bearer(operator));
      expect(balance.body.cash).toBe('5.00');
    });
  });

  describe('what real readers do', () => {
    test('a short tap (the card gone before its UID is read) is ignored; the next tap of that card works', async () => {
      const card = await issueCard(t, (await registerResident(t)).id);
      const b = await bridge(['lookup', '--verbose'], operator);

      const flighty = new VirtualCard({ uid: card.uid, shortTap: true });
      const from = b.mark();
      await pcscd.tap(flighty, () => new Promise((left) => flighty.once('short-tap', left)));
      await b.event('short-tap', from);

      expect(await tap(b, new VirtualCard({ uid: card.uid }), 'lookup')).toMatchObject({ uid: card.uid, found: true, status: 'active' });
      expect(b.events.filter((e) => e.event === 'lookup')).toHaveLength(1);
      expect(b.events.some((e) => e.event === 'error' || e.event === 'pcscd-lost')).toBe(false);
      // Stopping closes every reader, then NFC (whose close emits an error): the worker exits by itself.
      expect(await b.stop()).toEqual({ code: 0, signal: null });
      expect(b.events).toContainEqual(expect.objectContaining({ event: 'stopped', readers: 'closed' }));
    });

    test('the same card tapped twice within the debounce window is one tap', async () => {
      const card = await issueCard(t, (await registerResident(t)).id);
      // Wider than the default 1.5 s, so a slow machine cannot let the repeat through.
      const b = await bridge(['lookup', '--debounce', '10000'], operator);
      const again = new VirtualCard({ uid: card.uid });

      await tap(b, again, 'lookup');
      const from = b.mark();
      await pcscd.tap(again, () => again.uidRead());
      // A different card afterwards proves the bridge had handled the repeat by then (taps are handled in order).
      const other = cardUid();
      await tap(b, new VirtualCard({ uid: other }), 'lookup');

      expect(b.events.slice(from).filter((e) => e.event === 'lookup').map((e) => e.uid)).toEqual([other]);
    });

    test('a phone or bank card (ISO 14443-4) is refused politely and the bridge carries on', async () => {
      const card = await issueCard(t, (await registerResident(t)).id);
      const b = await bridge(['lookup'], operator);

      expect(await tap(b, new VirtualCard({ uid: cardUid(), kind: 'iso14443-4' }), 'refused')).toMatchObject({ reason: expect.stringContaining('ISO 14443-4') });
      expect(await tap(b, new VirtualCard({ uid: card.uid }), 'lookup')).toMatchObject({ found: true });
    });

    test('readers lists the readers pcscd sees', async () => {
      const b = new BridgeProcess(['readers'], { PCSCLITE_CSOCK_NAME: pcscd.socketPath });
      bridges.push(b);
      expect(await b.exited).toEqual({ code: 0, signal: null });
      expect(b.events).toContainEqual(expect.objectContaining({ event: 'readers', readers: expect.arrayContaining([pcscd.readerName]) }));
    });
  });
});
