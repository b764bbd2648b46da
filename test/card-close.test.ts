import { randomUUID } from 'node:crypto';
import { EventBus } from '@nestjs/cqrs';
import { CardClosedEvent } from '../src/cards/events/card-closed.event';
import { CASH_DESK, cashWalletId } from '../src/ledger/accounts';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { cardUid, dbState, expectError, fundCash, historyOf, issueCard, ledgerBalance, registerResident, residentWithCard } from './support/residents';

let t: TestApp;
let operator: { id: string; key: string };
let keys: { door: string; auditor: string };
const events: object[] = [];

beforeAll(async () => {
  t = await startTestApp();
  operator = await apiKey(t, 'operator');
  keys = { door: (await apiKey(t, 'door')).key, auditor: (await apiKey(t, 'auditor')).key };
  t.app.get(EventBus).subscribe((e) => events.push(e));
});
afterAll(async () => {
  await t?.close();
});

const op = () => bearer(operator.key);
const close = (id: string, key?: string, apiKeyValue = operator.key) => {
  const req = t.http.post(`/v1/cards/${id}/close`).set(bearer(apiKeyValue));
  return key === undefined ? req.send({}) : req.set('Idempotency-Key', key).send({});
};
const balance = (id: string, key = operator.key) => t.http.get(`/v1/cards/${id}/balance`).set(bearer(key));
const statement = (id: string, query: Record<string, unknown> = {}, key = operator.key) => t.http.get(`/v1/cards/${id}/transactions`).query(query).set(bearer(key));
const refundsOf = (cardId: string) => t.knex('ledger_transactions').where({ kind: 'card_close_refund' }).whereRaw(`metadata->>'cardId' = ?`, [cardId]).select('id');

describe('POST /v1/cards/:id/close', () => {
  test('pays the cash out to the cash desk through the ledger and closes the card: 200 {card, refunded}', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '12.50');
    const deskBefore = await ledgerBalance(t, CASH_DESK);
    const from = events.length;
    const res = await close(card.id, `close-${randomUUID()}`);
    expect(res.status).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body).toEqual({ card: { ...card, status: 'closed' }, refunded: '12.50', subsidiesReturned: [] });
    expect(await ledgerBalance(t, cashWalletId(resident.id))).toBe('0.00');
    expect(Number(await ledgerBalance(t, CASH_DESK)) - Number(deskBefore)).toBeCloseTo(12.5, 2);
    const [refund] = await refundsOf(card.id);
    const postings = await t.knex('ledger_entries').where({ transaction_id: refund.id }).orderBy('account_id').select('account_id', t.knex.raw('amount::text AS amount'));
    expect(postings).toEqual(
      [
        { account_id: cashWalletId(resident.id), amount: '-12.50' },
        { account_id: CASH_DESK, amount: '12.50' },
      ].sort((a, b) => a.account_id.localeCompare(b.account_id)),
    );
    expect((await historyOf(t, card.id)).at(-1)).toMatchObject({ action: 'closed', fromStatus: 'active', toStatus: 'closed', by: { apiKeyId: operator.id, name: 'operator for tests' } });
    expect(events.slice(from)).toEqual([new CardClosedEvent(card.id, card.uid, resident.id, '12.50')]);
  });

  test('a retry with the same key replays the answer (Idempotent-Replayed: true) and moves nothing', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '7.25');
    const key = `close-${randomUUID()}`;
    const first = await close(card.id, key);
    expect(first.status).toBe(200);
    const before = await dbState(t);
    const from = events.length;
    const again = await close(card.id, key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await dbState(t)).toEqual(before);
    expect(events.length).toBe(from);
    expect(await refundsOf(card.id)).toHaveLength(1);
  });

  test('closing a closed card with a new key: 200 refunded "0.00", nothing moves, no new history', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '3.00');
    expect((await close(card.id, `close-${randomUUID()}`)).body.refunded).toBe('3.00');
    await fundCash(t, resident.id, '1.00'); // money that arrives after the close is not paid out by a second close
    const before = await dbState(t);
    const res = await close(card.id, `close-${randomUUID()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ card: { ...card, status: 'closed' }, refunded: '0.00', subsidiesReturned: [] });
    const after = await dbState(t);
    expect({ ...after, idempotencyKeys: before.idempotencyKeys }).toEqual(before);
    expect(await refundsOf(card.id)).toHaveLength(1);
  });

  test('a locked card may be closed; a card locked as lost retires its UID', async () => {
    const { resident, card } = await residentWithCard(t);
    expect((await t.http.post(`/v1/cards/${card.id}/lock`).set(op()).send({ reason: 'lost' })).status).toBe(200);
    const res = await close(card.id, `close-${randomUUID()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ card: { ...card, status: 'closed', lockReason: 'lost' }, refunded: '0.00', subsidiesReturned: [] });
    expect((await historyOf(t, card.id)).at(-1)).toMatchObject({ action: 'closed', fromStatus: 'locked', toStatus: 'closed' });
    const other = await registerResident(t);
    expectError(await t.http.post('/v1/cards').set(op()).send({ residentId: other.id, uid: card.uid }), 409, 'uid_retired');
    // The resident may get a new card, with a new UID.
    expect((await issueCard(t, resident.id)).status).toBe('active');
  });

  test("after a plain close the UID is free again, the resident may get a new card, and the wallet is not opened twice", async () => {
    const { resident, card } = await residentWithCard(t);
    expect((await close(card.id, `close-${randomUUID()}`)).status).toBe(200);
    const other = await registerResident(t);
    const reissued = await issueCard(t, other.id, card.uid);
    expect(reissued.uid).toBe(card.uid);
    const next = await issueCard(t, resident.id);
    expect(next.status).toBe('active');
    expect((await balance(next.id)).body).toEqual({ cash: '0.00', subsidies: [], total: '0.00' });
    expect(Number((await t.knex('ledger_accounts').where({ id: cashWalletId(resident.id) }).count<{ n: string }[]>('* as n'))[0].n)).toBe(1);
  });

  test('without an Idempotency-Key: 400 idempotency_key_required, nothing changes', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '5.00');
    const before = await dbState(t);
    expectError(await close(card.id), 400, 'idempotency_key_required');
    expectError(await close(card.id, ''), 400, 'idempotency_key_required');
    expectError(await close(card.id, 'k'.repeat(256)), 400, 'idempotency_key_required');
    expect(await dbState(t)).toEqual(before);
    expect((await t.http.get(`/v1/cards/${card.id}`).set(op())).body.status).toBe('active');
  });

  test('a replaced card: 409 card_not_active, nothing moves; the retry replays the 409', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '9.00');
    const fresh = (await t.http.post(`/v1/cards/${card.id}/replace`).set(op()).send({ uid: cardUid(), reason: 'damaged' })).body;
    const before = await dbState(t);
    const key = `close-${randomUUID()}`;
    expectError(await close(card.id, key), 409, 'card_not_active');
    const again = await close(card.id, key);
    expectError(again, 409, 'card_not_active');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect({ ...(await dbState(t)), idempotencyKeys: before.idempotencyKeys }).toEqual(before);
    expect((await balance(fresh.id)).body.cash).toBe('9.00');
  });

  test('unknown body fields: 400 validation_failed, nothing changes', async () => {
    const { resident, card } = await residentWithCard(t);
    await fundCash(t, resident.id, '10.00');
    const before = await dbState(t);
    const res = await t.http.post(`/v1/cards/${card.id}/close`).set(op()).set('Idempotency-Key', randomUUID()).send({ amount: '5.00' });
    expectError(res, 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('the same key for another card: 422 idempotency_key_reused, nothing changes', async () => {
    const a = await residentWithCard(t);
    const b = await residentWithCard(t);
    const key = `close-${randomUUID()}`;
    expect((await close(a.card.id, key)).status).toBe(200);
    const before = await dbState(t);
    expectError(await close(b.card.id, key), 422, 'idempotency_key_reused');
    expect(await dbState(t)).toEqual(before);
  });

  test('a card that does not exist: 404 card_not_found; not a UUID: 400 validation_failed; nothing changes', async () => {
    const before = await dbState(t);
    expectError(await close(randomUUID(), `close-${randomUUID()}`), 404, 'card_not_found');
    expectError(await close('not-a-uuid', `close-${randomUUID()}`), 400, 'validation_failed');
    const after = await dbState(t);
    expect({ ...after, idempotencyKeys: before.idempotencyKeys }).toEqual(before);
  });

  test('door and auditor keys: 403, nothing changes', async () => {
    const { card } = await residentWithCard(t);
    const before = await dbState(t);
    for (const key of Object.values(keys)) expectError(await close(card.id, `close-${randomUUID()}`, key), 403, 'forbidden');
    expect(await dbState(t)).toEqual(before);
  });
});

describe('GET /v1/cards/:id/balance', () => {
  test('{cash, subsidies: [], total} in two decimals; it belongs to the resident, so it follows a replacement', async () => {
    const { resident, card } = await residentWithCard(t);
    expect((await balance(card.id)).body).toEqual({ cash: '0.00', subsidies: [], total: '0.00' });
    await fundCash(t, resident.id, '20');
    await fundCash(t, resident.id, '0.05');
    const res = await balance(card.id, TEST_ADMIN_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cash: '20.05', subsidies: [], total: '20.05' });
    const fresh = (await t.http.post(`/v1/cards/${card.id}/replace`).set(op()).send({ uid: cardUid(), reason: 'lost' })).body;
    expect((await balance(fresh.id)).body).toEqual({ cash: '20.05', subsidies: [], total: '20.05' });
    expect((await balance(card.id)).body).toEqual({ cash: '20.05', subsidies: [], total: '20.05' });
    const closed = await close(fresh.id, `close-${randomUUID()}`);
    expect(closed.body.refunded).toBe('20.05');
    expect((await balance(fresh.id)).body).toEqual({ cash: '0.00', subsidies: [], total: '0.00' });
  });

  test('auditor and door keys: 403; unknown card 404; not a UUID 400', async () => {
    const { card } = await residentWithCard(t);
    for (const key of Object.values(keys)) expectError(await balance(card.id, key), 403, 'forbidden');
    expectError(await balance(randomUUID()), 404, 'card_not_found');
    expectError(await balance('x'), 400, 'validation_failed');
  });
});

describe('GET /v1/cards/:id/transactions', () => {
  test('the statement: newest first, signed from the resident side, cursor-paged, reachable through old and new cards', async () => {
    const { resident, card } = await residentWithCard(t);
    expect((await statement(card.id)).body).toEqual({ items: [], nextCursor: null });
    for (const amount of ['10.00', '5.50', '0.25']) await fundCash(t, resident.id, amount);
    const fresh = (await t.http.post(`/v1/cards/${card.id}/replace`).set(op()).send({ uid: cardUid(), reason: 'damaged' })).body;
    expect((await close(fresh.id, `close-${randomUUID()}`)).body.refunded).toBe('15.75');

    const res = await statement(fresh.id, {}, keys.auditor);
    expect(res.status).toBe(200);
    const desk = { type: 'system', id: 'cash_desk', kind: 'cash_desk' };
    const line = (kind: string, amount: string) => ({ id: expect.any(String), kind, amount, wallet: 'cash', counterparty: desk, createdAt: expect.stringMatching(/Z$/), entryId: expect.any(String) });
    expect(res.body).toEqual({
      items: [line('card_close_refund', '-15.75'), line('test_cash_in', '0.25'), line('test_cash_in', '5.50'), line('test_cash_in', '10.00')],
      nextCursor: null,
    });
    const entryIds = res.body.items.map((i: { entryId: string }) => BigInt(i.entryId));
    expect(entryIds).toEqual([...entryIds].sort((a, b) => (a > b ? -1 : 1)));
    expect((await statement(card.id)).body).toEqual(res.body);

    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await statement(card.id, { limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(res.body.items);
  });

  test("another resident's movements are not on the statement", async () => {
    const a = await residentWithCard(t);
    const b = await residentWithCard(t);
    await fundCash(t, a.resident.id, '1.00');
    await fundCash(t, b.resident.id, '2.00');
    expect((await statement(a.card.id)).body.items.map((i: { amount: string }) => i.amount)).toEqual(['1.00']);
  });

  test('a foreign cursor or a bad limit: 400; unknown card 404; not a UUID 400; door 403', async () => {
    const { card } = await residentWithCard(t);
    for (const query of [{ cursor: 'not-ours' }, { limit: 0 }, { limit: 501 }]) expectError(await statement(card.id, query), 400, 'validation_failed');
    expectError(await statement(randomUUID()), 404, 'card_not_found');
    expectError(await statement('nope'), 400, 'validation_failed');
    expectError(await statement(card.id, {}, keys.door), 403, 'forbidden');
  });
});
