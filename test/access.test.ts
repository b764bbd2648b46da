import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { check, door, doorKey, verifiedList } from './support/doors';
import { expectError, issueCard, registerResident } from './support/residents';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const admin = bearer(TEST_ADMIN_KEY);

describe('door decisions', () => {
  it('lets residents through their gate and building, denies a lock at once, and says why', async () => {
    const gate = await door(t, '金杨新村');
    const entrance = await door(t, '金杨新村', '12号楼');
    const otherBuilding = await door(t, '金杨新村', '13号楼');
    const key = await doorKey(t, gate.id, entrance.id, otherBuilding.id);
    const resident = await registerResident(t);
    const card = await issueCard(t, resident.id);

    expect(await check(t, key, gate.id, card.uid)).toEqual({ decision: 'allow', reason: 'ok', cardId: card.id });
    expect(await check(t, key, entrance.id, card.uid)).toEqual({ decision: 'allow', reason: 'ok', cardId: card.id });
    expect(await check(t, key, otherBuilding.id, card.uid)).toEqual({ decision: 'deny', reason: 'no_access', cardId: card.id });
    expect(await check(t, key, gate.id, 'DEADBEEF')).toEqual({ decision: 'deny', reason: 'unknown_card' });

    expect((await t.http.post(`/v1/cards/${card.id}/lock`).set(admin).send({ reason: 'lost' })).status).toBe(200);
    expect(await check(t, key, gate.id, card.uid)).toEqual({ decision: 'deny', reason: 'card_not_active', cardId: card.id });

    const events = await t.http.get(`/v1/doors/${gate.id}/events`).set(admin);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { reason: string; rule: string }) => [e.reason, e.rule])).toEqual([
      ['card_not_active', 'card_locked'],
      ['unknown_card', 'unknown_card'],
      ['ok', 'community_gate'],
    ]);
  });

  it('answers 403 for a door the key does not cover and 400 for a malformed UID', async () => {
    const mine = await door(t, '潍坊新村');
    const theirs = await door(t, '潍坊新村', '3号楼');
    const key = await doorKey(t, mine.id);
    expectError(await t.http.post('/v1/access/check').set(key).send({ doorId: theirs.id, uid: '04A1B2C3' }), 403, 'forbidden');
    expectError(await t.http.post('/v1/access/check').set(key).send({ doorId: mine.id, uid: 'xyz' }), 400, 'validation_failed');
  });
});

describe('allowlists', () => {
  it('serves a signed full list and signed deltas', async () => {
    const gate = await door(t, '东方城市花园');
    const key = await doorKey(t, gate.id);
    const a = await registerResident(t, { address: { community: '东方城市花园', building: '1号楼' } });
    const cardA = await issueCard(t, a.id);

    const full = (await verifiedList(t, await t.http.get(`/v1/doors/${gate.id}/allowlist`).set(key))) as { version: number; uids: string[] };
    expect(full.uids).toEqual([cardA.uid]);

    const b = await registerResident(t, { address: { community: '东方城市花园', building: '2号楼' } });
    const cardB = await issueCard(t, b.id);
    await t.http.post(`/v1/cards/${cardA.id}/lock`).set(admin).send({ reason: 'stolen' });

    const delta = (await verifiedList(t, await t.http.get(`/v1/doors/${gate.id}/allowlist?since=${full.version}`).set(key))) as Record<string, unknown>;
    expect(delta).toEqual({ doorId: gate.id, version: full.version + 1, since: full.version, added: [cardB.uid], removed: [cardA.uid], limits: {} });
  });
});
