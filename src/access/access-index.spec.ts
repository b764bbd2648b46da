import { randomUUID } from 'node:crypto';
import { AccessIndex, type CardEntry, type CardStatus, type DoorEntry, type GrantEntry, type ResidentEntry } from './access-index';

/** Midday in Shanghai on 1 December 2026 (04:00Z), far from any window edge unless a test says otherwise. */
const NOON = new Date('2026-12-01T04:00:00Z');

const door = (community: string, building: string | null = null): DoorEntry => ({ id: randomUUID(), community, building });
const resident = (community: string, building: string): ResidentEntry => ({ id: randomUUID(), community, building });
const card = (r: ResidentEntry, uid: string, status: CardStatus = 'active'): CardEntry => ({ id: randomUUID(), uid, residentId: r.id, status });
const grant = (d: DoorEntry, r: ResidentEntry, window: Partial<Pick<GrantEntry, 'validFrom' | 'validUntil' | 'hours'>> = {}): GrantEntry => ({
  id: randomUUID(),
  doorId: d.id,
  residentId: r.id,
  validFrom: null,
  validUntil: null,
  hours: null,
  revoked: false,
  ...window,
});

/** Two communities, each with a gate and two buildings; building names repeat across communities. */
function estate() {
  const index = new AccessIndex();
  const doors = {
    gateA: door('金杨新村'),
    a12: door('金杨新村', '12号楼'),
    a13: door('金杨新村', '13号楼'),
    gateB: door('潍坊新村'),
    b12: door('潍坊新村', '12号楼'),
  };
  Object.values(doors).forEach((d) => index.putDoor(d));
  const alice = resident('金杨新村', '12号楼');
  index.putResident(alice);
  const aliceCard = card(alice, '04A1B2C3D4E5F6');
  index.putCard(aliceCard);
  return { index, doors, alice, aliceCard };
}

describe('rights by address', () => {
  test('the gate of the own community and the entrance of the own building; nothing else', () => {
    const { index, doors, aliceCard } = estate();
    const ok = (rule: string) => ({ decision: 'allow', reason: 'ok', rule, cardId: aliceCard.id });
    const noAccess = { decision: 'deny', reason: 'no_access', rule: 'no_rule', cardId: aliceCard.id };
    expect(index.decide(doors.gateA.id, aliceCard.uid, NOON)).toEqual(ok('community_gate'));
    expect(index.decide(doors.a12.id, aliceCard.uid, NOON)).toEqual(ok('building'));
    expect(index.decide(doors.a13.id, aliceCard.uid, NOON)).toEqual(noAccess);
    expect(index.decide(doors.gateB.id, aliceCard.uid, NOON)).toEqual(noAccess);
    // Same building name, other community.
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toEqual(noAccess);
  });

  test('a move (putResident again) moves the rights with it', () => {
    const { index, doors, alice, aliceCard } = estate();
    index.putResident({ ...alice, building: '13号楼' });
    expect(index.decide(doors.a12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'no_access' });
    expect(index.decide(doors.a13.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: 'building' });
    index.putResident({ ...alice, community: '潍坊新村', building: '12号楼' });
    expect(index.decide(doors.gateA.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'no_access' });
    expect(index.decide(doors.gateB.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: 'community_gate' });
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: 'building' });
  });

  test('an unknown door is null (the caller answers 404), an unknown UID a deny without cardId', () => {
    const { index, doors } = estate();
    expect(index.decide(randomUUID(), '04A1B2C3D4E5F6', NOON)).toBeNull();
    expect(index.decide(doors.gateA.id, 'DEADBEEF', NOON)).toEqual({ decision: 'deny', reason: 'unknown_card', rule: 'unknown_card' });
  });
});

describe('every card state', () => {
  test.each([
    ['locked', 'card_locked'],
    ['replaced', 'card_replaced'],
    ['closed', 'card_closed'],
  ] as [CardStatus, string][])('%s: card_not_active at every door, with the cardId and rule %s', (status, rule) => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.a13, alice);
    index.putGrant(g);
    index.putCard({ ...aliceCard, status });
    for (const d of Object.values(doors)) {
      expect(index.decide(d.id, aliceCard.uid, NOON)).toEqual({ decision: 'deny', reason: 'card_not_active', rule, cardId: aliceCard.id });
    }
  });

  test('unlocking (active again) restores exactly the rights it had', () => {
    const { index, doors, aliceCard } = estate();
    index.putCard({ ...aliceCard, status: 'locked' });
    index.putCard({ ...aliceCard, status: 'active' });
    expect(index.decide(doors.a12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: 'building' });
    expect(index.decide(doors.a13.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'no_access' });
  });

  test('a replacement carries the resident: the new UID opens the same doors, the old one is card_not_active', () => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.a13, alice);
    index.putGrant(g);
    const fresh = card(alice, '0A0B0C0D');
    index.putCard({ ...aliceCard, status: 'replaced' });
    index.putCard(fresh);
    expect(index.decide(doors.a12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'card_not_active', rule: 'card_replaced' });
    expect(index.decide(doors.a12.id, fresh.uid, NOON)).toEqual({ decision: 'allow', reason: 'ok', rule: 'building', cardId: fresh.id });
    expect(index.decide(doors.a13.id, fresh.uid, NOON)).toEqual({ decision: 'allow', reason: 'ok', rule: `grant:${g.id}`, cardId: fresh.id });
  });
});

describe('a UID issued again after its card was closed', () => {
  function reused() {
    const { index, doors, alice, aliceCard } = estate();
    const bob = resident('潍坊新村', '12号楼');
    index.putResident(bob);
    const closed = { ...aliceCard, status: 'closed' as const };
    const bobs = card(bob, aliceCard.uid);
    return { index, doors, alice, closed, bob, bobs };
  }

  test('belongs to the new card, in whichever order the two rows arrive', () => {
    for (const order of ['closed first', 'new first']) {
      const { index, doors, closed, bobs } = reused();
      if (order === 'closed first') [closed, bobs].forEach((c) => index.putCard(c));
      else [bobs, closed].forEach((c) => index.putCard(c));
      expect({ order, decision: index.decide(doors.b12.id, bobs.uid, NOON) }).toEqual({
        order,
        decision: { decision: 'allow', reason: 'ok', rule: 'building', cardId: bobs.id },
      });
      // Alice's old doors no longer open for the UID: it is Bob's now.
      expect({ order, decision: index.decide(doors.a12.id, bobs.uid, NOON) }).toEqual({
        order,
        decision: { decision: 'deny', reason: 'no_access', rule: 'no_rule', cardId: bobs.id },
      });
    }
  });

  test('an update of the old closed card later does not take the UID back', () => {
    const { index, doors, closed, bobs } = reused();
    index.putCard(closed);
    index.putCard(bobs);
    index.putCard(closed);
    expect(index.decide(doors.b12.id, bobs.uid, NOON)).toMatchObject({ decision: 'allow', cardId: bobs.id });
  });

  test('when the new card is closed too, the UID answers for the newest closed card', () => {
    const { index, doors, closed, bobs } = reused();
    index.putCard(closed);
    index.putCard(bobs);
    index.putCard({ ...bobs, status: 'closed' });
    expect(index.decide(doors.b12.id, bobs.uid, NOON)).toEqual({ decision: 'deny', reason: 'card_not_active', rule: 'card_closed', cardId: bobs.id });
  });
});

describe('grants', () => {
  test('a grant without a window opens the door at any time; rule grant:<id>', () => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.b12, alice);
    index.putGrant(g);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toEqual({ decision: 'allow', reason: 'ok', rule: `grant:${g.id}`, cardId: aliceCard.id });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T19:00:00Z'))).toMatchObject({ decision: 'allow' });
    // Only that door.
    expect(index.decide(doors.gateB.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'no_access' });
  });

  test('within its hours: allow; outside them: outside_hours with rule grant_window:<id>', () => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.b12, alice, { hours: { from: 8 * 60, to: 18 * 60 } });
    index.putGrant(g);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toEqual({ decision: 'allow', reason: 'ok', rule: `grant:${g.id}`, cardId: aliceCard.id });
    // 18:00 Shanghai is 10:00Z: the exclusive end.
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T10:00:00Z'))).toEqual({
      decision: 'deny',
      reason: 'outside_hours',
      rule: `grant_window:${g.id}`,
      cardId: aliceCard.id,
    });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T09:59:00Z'))).toMatchObject({ decision: 'allow' });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-11-30T23:59:00Z'))).toMatchObject({ reason: 'outside_hours' });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T00:00:00Z'))).toMatchObject({ decision: 'allow' });
  });

  test('a night-shift grant across Shanghai midnight, ending on validUntil at midnight', () => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.b12, alice, { validFrom: '2026-12-01', validUntil: '2026-12-01', hours: { from: 22 * 60, to: 6 * 60 } });
    index.putGrant(g);
    const decide = (iso: string) => index.decide(doors.b12.id, aliceCard.uid, new Date(iso))!.reason;
    expect(decide('2026-11-30T16:30:00Z')).toBe('ok'); // 00:30 on 1 Dec: the day's own early hours
    expect(decide('2026-12-01T04:00:00Z')).toBe('outside_hours'); // noon
    expect(decide('2026-12-01T14:00:00Z')).toBe('ok'); // 22:00
    expect(decide('2026-12-01T15:59:00Z')).toBe('ok'); // 23:59
    expect(decide('2026-12-01T16:00:00Z')).toBe('outside_hours'); // 00:00 on 2 Dec: past validUntil
    expect(decide('2026-12-01T16:30:00Z')).toBe('outside_hours');
  });

  test('a grant whose dates are over, or not yet begun, is outside_hours (it exists, no window is open)', () => {
    const { index, doors, alice, aliceCard } = estate();
    const past = grant(doors.b12, alice, { validUntil: '2026-11-30' });
    index.putGrant(past);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toEqual({ decision: 'deny', reason: 'outside_hours', rule: `grant_window:${past.id}`, cardId: aliceCard.id });
    const future = grant(doors.b12, alice, { validFrom: '2026-12-02' });
    index.putGrant(future);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'outside_hours' });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T16:00:00Z'))).toEqual({ decision: 'allow', reason: 'ok', rule: `grant:${future.id}`, cardId: aliceCard.id });
  });

  test('of several grants the open one decides', () => {
    const { index, doors, alice, aliceCard } = estate();
    const morning = grant(doors.b12, alice, { hours: { from: 6 * 60, to: 9 * 60 } });
    const midday = grant(doors.b12, alice, { hours: { from: 11 * 60, to: 13 * 60 } });
    index.putGrant(morning);
    index.putGrant(midday);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: `grant:${midday.id}` });
    expect(index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T00:30:00Z'))).toMatchObject({ decision: 'allow', rule: `grant:${morning.id}` });
    const evening = index.decide(doors.b12.id, aliceCard.uid, new Date('2026-12-01T12:00:00Z'))!;
    expect(evening.reason).toBe('outside_hours');
    expect([`grant_window:${morning.id}`, `grant_window:${midday.id}`]).toContain(evening.rule);
  });

  test('revoking removes the grant; re-putting a changed grant replaces it rather than adding a second', () => {
    const { index, doors, alice, aliceCard } = estate();
    const g = grant(doors.b12, alice, { hours: { from: 0, to: 60 } });
    index.putGrant(g);
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ reason: 'outside_hours' });
    index.putGrant({ ...g, hours: null });
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: `grant:${g.id}` });
    expect(index.size.grants).toBe(1);
    index.putGrant({ ...g, revoked: true });
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toEqual({ decision: 'deny', reason: 'no_access', rule: 'no_rule', cardId: aliceCard.id });
    expect(index.size.grants).toBe(0);
    // A revoked grant arriving again (a late re-read) stays gone.
    index.putGrant({ ...g, revoked: true });
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ reason: 'no_access' });
  });

  test("another resident's grant, or a grant on another door, opens nothing", () => {
    const { index, doors, alice, aliceCard } = estate();
    const bob = resident('潍坊新村', '99号楼');
    index.putResident(bob);
    index.putGrant(grant(doors.b12, bob));
    index.putGrant(grant(doors.gateB, alice));
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'no_access' });
  });

  test('the address decides before grants: a grant outside its hours does not shut the own building', () => {
    const { index, doors, alice, aliceCard } = estate();
    index.putGrant(grant(doors.a12, alice, { hours: { from: 0, to: 60 } }));
    expect(index.decide(doors.a12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'allow', rule: 'building' });
  });

  test('the card state decides before grants: a locked card with an open grant is card_not_active', () => {
    const { index, doors, alice, aliceCard } = estate();
    index.putGrant(grant(doors.b12, alice));
    index.putCard({ ...aliceCard, status: 'locked' });
    expect(index.decide(doors.b12.id, aliceCard.uid, NOON)).toMatchObject({ decision: 'deny', reason: 'card_not_active', rule: 'card_locked' });
  });
});
