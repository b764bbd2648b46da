import { randomUUID } from 'node:crypto';
import { shanghaiClock, windowOpen, parseHhMm } from '../src/access/windows';
import { loadConfig } from '../src/config/app-config';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import {
  accessCounts,
  allDoorEvents,
  check,
  closeCard,
  community,
  decisions,
  door,
  doorEvents,
  doorKey,
  eventually,
  flushAccessLog,
  grant,
  hoursAround,
  lockCard,
  moveResident,
  onOneShanghaiDay,
  replaceCard,
  revoke,
  setClock,
  shanghaiDate,
  shanghaiMinute,
  sweepAccessLog,
  thawClock,
  unlockCard,
  type Decision,
} from './support/doors';
import { apiKey } from './support/factories';
import { cardUid, expectError, issueCard, registerResident, separated } from './support/residents';

/**
 * Door decisions through the HTTP API: rights by address, grants with dates and daily
 * hours in Asia/Shanghai time, every card state, address changes, the access log and
 * its retention, bad input, and who may call what. Windows relative to now are chosen an
 * hour or more from their edges; decisions at a given Shanghai moment set the service's
 * clock (setClock) instead of waiting for it.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => thawClock());

const admin = bearer(TEST_ADMIN_KEY);
const { allow, deny, unknownCard } = decisions;

/** A community of a test's own: a gate, two building entrances, and a key for all three. */
async function estate(name = community()) {
  const gate = await door(t, name);
  const b1 = await door(t, name, '1号楼');
  const b2 = await door(t, name, '2号楼');
  const key = await doorKey(t, gate.id, b1.id, b2.id);
  return { name, gate, b1, b2, key };
}

async function residentWithCardAt(address: { community: string; building: string }) {
  const resident = await registerResident(t, { address });
  return { resident, card: await issueCard(t, resident.id) };
}

describe('the window helper the tests below rely on', () => {
  test('for every minute of the day: open contains it, closed does not, an hour from the edge ahead; wraps wraps', () => {
    for (let minute = 0; minute < 1440; minute++) {
      const at = new Date(Date.UTC(2026, 11, 1, 0, minute) - 8 * 3600_000);
      for (const wraps of [false, true]) {
        for (const kind of ['open', 'closed'] as const) {
          const h = hoursAround(kind, wraps, at);
          const hours = { from: parseHhMm(h.from)!, to: parseHhMm(h.to)! };
          const w = { validFrom: null, validUntil: null, hours };
          const later = (m: number) => ({ day: '2026-12-01', minute: (minute + m) % 1440 });
          const label = { minute, kind, wraps, h };
          // Open now and for the next hour, or closed now and for the next hour.
          expect({ ...label, ok: [0, 30, 59].every((m) => windowOpen(w, later(m)) === (kind === 'open')) }).toEqual({ ...label, ok: true });
          if (wraps && (kind === 'open' || minute < 1380)) expect({ ...label, wraps: hours.to < hours.from }).toEqual({ ...label, wraps: true });
        }
      }
    }
    // The helpers' Shanghai clock is the service's.
    for (const iso of ['2026-12-01T15:59:59Z', '2026-12-01T16:00:00Z', '2026-12-31T16:30:00Z', new Date().toISOString()]) {
      const at = new Date(iso);
      expect({ iso, minute: shanghaiMinute(at), day: shanghaiDate(0, at) }).toEqual({ iso, ...shanghaiClock(at) });
    }
  });
});

describe('rights by address', () => {
  test("the own community's gate and the own building's entrance; not another building, nor another community's doors of the same names", async () => {
    const here = await estate();
    const there = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });

    expect(await check(t, here.key, here.gate.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, here.key, here.b1.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, here.key, here.b2.id, card.uid)).toEqual(deny('no_access', card.id));
    expect(await check(t, there.key, there.gate.id, card.uid)).toEqual(deny('no_access', card.id));
    expect(await check(t, there.key, there.b1.id, card.uid)).toEqual(deny('no_access', card.id));
  });

  test('a UID as a reader may send it (lower case, separators) decides the same as the printed form', async () => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    for (const form of [card.uid.toLowerCase(), separated(card.uid, ':'), separated(card.uid, '-', false), separated(card.uid, ' ')]) {
      expect({ form, decision: await check(t, here.key, here.b1.id, form) }).toEqual({ form, decision: allow(card.id) });
    }
    // And a door id in upper case is the same door.
    expect(await check(t, here.key, here.b1.id.toUpperCase(), card.uid)).toEqual(allow(card.id));
  });

  test('an unknown UID is a deny with unknown_card and no cardId: 200, not an error', async () => {
    const here = await estate();
    const res = await t.http.post('/v1/access/check').set(here.key).send({ doorId: here.gate.id, uid: cardUid(10) });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: unknownCard });
  });

  test('PATCH with a new address moves the rights before it answers: building, then community', async () => {
    const here = await estate();
    const there = await estate();
    const { resident, card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    expect(await check(t, here.key, here.b1.id, card.uid)).toEqual(allow(card.id));

    await moveResident(t, resident.id, { community: here.name, building: '2号楼' });
    expect(await check(t, here.key, here.b1.id, card.uid)).toEqual(deny('no_access', card.id));
    expect(await check(t, here.key, here.b2.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, here.key, here.gate.id, card.uid)).toEqual(allow(card.id));

    await moveResident(t, resident.id, { community: there.name, building: '1号楼' });
    expect(await check(t, here.key, here.gate.id, card.uid)).toEqual(deny('no_access', card.id));
    expect(await check(t, here.key, here.b2.id, card.uid)).toEqual(deny('no_access', card.id));
    expect(await check(t, there.key, there.gate.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, there.key, there.b1.id, card.uid)).toEqual(allow(card.id));
  });

  test('a PATCH that changes only the phone or tags leaves the rights alone', async () => {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    expect((await t.http.patch(`/v1/residents/${resident.id}`).set(admin).send({ tags: ['disabled'] })).status).toBe(200);
    expect(await check(t, here.key, here.b1.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, here.key, here.b2.id, card.uid)).toEqual(deny('no_access', card.id));
  });

  test('a door created a moment ago decides at once', async () => {
    const name = community();
    const { card } = await residentWithCardAt({ community: name, building: '1号楼' });
    const gate = await door(t, name);
    expect(await check(t, await doorKey(t, gate.id), gate.id, card.uid)).toEqual(allow(card.id));
  });
});

describe('grants', () => {
  /** A caregiver from elsewhere with a card, and a building entrance that is not theirs. */
  async function caregiver() {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: community(), building: '9号楼' });
    return { ...here, resident, card };
  }

  test('without dates or hours: opens the door at any time, that door only', async () => {
    const c = await caregiver();
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(deny('no_access', c.card.id));
    const g = await grant(t, c.b1.id, c.resident.id);
    expect(g).toEqual({ id: expect.any(String), doorId: c.b1.id, residentId: c.resident.id, validFrom: null, validUntil: null, hours: null, createdAt: expect.any(String), revokedAt: null });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
    expect(await check(t, c.key, c.b2.id, c.card.uid)).toEqual(deny('no_access', c.card.id));
    expect(await check(t, c.key, c.gate.id, c.card.uid)).toEqual(deny('no_access', c.card.id));
  });

  test('within its daily hours: allow; outside them: outside_hours', async () => {
    const c = await caregiver();
    await grant(t, c.b1.id, c.resident.id, { hours: hoursAround('open') });
    await grant(t, c.b2.id, c.resident.id, { hours: hoursAround('closed') });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
    expect(await check(t, c.key, c.b2.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
  });

  test('hours that wrap past midnight (to earlier than from): open and closed as the window says', async () => {
    const c = await caregiver();
    const open = hoursAround('open', true);
    const closed = hoursAround('closed', true);
    expect((await grant(t, c.b1.id, c.resident.id, { hours: open })).hours).toEqual(open);
    await grant(t, c.b2.id, c.resident.id, { hours: closed });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
    expect(await check(t, c.key, c.b2.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
  });

  // Days two away from today where a midnight during the test would otherwise flip the answer.
  test('dates: around today allows; ended yesterday or starting the day after tomorrow is outside_hours', async () => {
    const c = await caregiver();
    const g3 = await door(t, c.name, '3号楼');
    const key = await doorKey(t, c.b1.id, c.b2.id, g3.id);
    await grant(t, c.b1.id, c.resident.id, { validFrom: shanghaiDate(-1), validUntil: shanghaiDate(1) });
    await grant(t, c.b2.id, c.resident.id, { validFrom: shanghaiDate(-7), validUntil: shanghaiDate(-1) });
    await grant(t, g3.id, c.resident.id, { validFrom: shanghaiDate(2) });
    expect(await check(t, key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
    expect(await check(t, key, c.b2.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
    expect(await check(t, key, g3.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
  });

  test('dates are inclusive: a grant from today until today opens today', async () => {
    const decision = await onOneShanghaiDay(async (today) => {
      const c = await caregiver();
      await grant(t, c.b1.id, c.resident.id, { validFrom: today, validUntil: today });
      return { want: allow(c.card.id), got: await check(t, c.key, c.b1.id, c.card.uid) };
    });
    expect(decision.got).toEqual(decision.want);
  });

  test('dates and hours together: both must hold', async () => {
    const c = await caregiver();
    const g3 = await door(t, c.name, '3号楼');
    const key = await doorKey(t, c.b1.id, c.b2.id, g3.id);
    await grant(t, c.b1.id, c.resident.id, { validFrom: shanghaiDate(-1), validUntil: shanghaiDate(1), hours: hoursAround('open') });
    await grant(t, c.b2.id, c.resident.id, { validFrom: shanghaiDate(-1), validUntil: shanghaiDate(1), hours: hoursAround('closed') });
    await grant(t, g3.id, c.resident.id, { validFrom: shanghaiDate(2), hours: hoursAround('open') });
    expect(await check(t, key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
    expect(await check(t, key, c.b2.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
    expect(await check(t, key, g3.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
  });

  test('of two grants on one door, the open one lets the card in', async () => {
    const c = await caregiver();
    await grant(t, c.b1.id, c.resident.id, { hours: hoursAround('closed') });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(deny('outside_hours', c.card.id));
    await grant(t, c.b1.id, c.resident.id, { hours: hoursAround('open') });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));
  });

  test('an operator may grant and revoke; revoking closes the door before it answers; twice is 204 and changes nothing', async () => {
    const c = await caregiver();
    const operator = await apiKey(t, 'operator');
    const g = await grant(t, c.b1.id, c.resident.id, {}, operator.key);
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(allow(c.card.id));

    const first = await t.http.delete(`/v1/doors/${c.b1.id}/grants/${g.id}`).set(bearer(operator.key));
    expect({ status: first.status, text: first.text }).toEqual({ status: 204, text: '' });
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(deny('no_access', c.card.id));
    const row = await t.knex('door_grants').where({ id: g.id }).first('revoked_at', 'revoked_by');
    expect(row).toEqual({ revoked_at: expect.any(Date), revoked_by: operator.id });

    const again = await t.http.delete(`/v1/doors/${c.b1.id}/grants/${g.id}`).set(admin);
    expect(again.status).toBe(204);
    expect(await t.knex('door_grants').where({ id: g.id }).first('revoked_at', 'revoked_by')).toEqual(row);
    expect(await check(t, c.key, c.b1.id, c.card.uid)).toEqual(deny('no_access', c.card.id));
  });

  test('GET /v1/doors/:id/grants lists the live grants of that door', async () => {
    const c = await caregiver();
    const other = await registerResident(t, { address: { community: community(), building: '1号楼' } });
    const hours = { from: '07:30', to: '19:00' };
    const kept = await grant(t, c.b1.id, c.resident.id, { validFrom: '2026-12-01', validUntil: '2027-05-31', hours });
    const gone = await grant(t, c.b1.id, other.id);
    await grant(t, c.b2.id, c.resident.id);
    await revoke(t, c.b1.id, gone.id);
    const res = await t.http.get(`/v1/doors/${c.b1.id}/grants`).set(admin);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [{ ...kept, validFrom: '2026-12-01', validUntil: '2027-05-31', hours }], nextCursor: null });
  });

  test("a grant on the resident's own building changes nothing there: the address decides", async () => {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    await grant(t, here.b1.id, resident.id, { hours: hoursAround('closed') });
    expect(await check(t, here.key, here.b1.id, card.uid)).toEqual(allow(card.id));
  });

  test('a grant belongs to the resident: a replacement card opens the granted door, a grant before the first card too', async () => {
    const c = await caregiver();
    await grant(t, c.b1.id, c.resident.id);
    const fresh = await replaceCard(t, c.card.id, 'damaged');
    expect(await check(t, c.key, c.b1.id, fresh.uid)).toEqual(allow(fresh.id));

    const later = await registerResident(t, { address: { community: community(), building: '1号楼' } });
    await grant(t, c.b2.id, later.id);
    const card = await issueCard(t, later.id);
    expect(await check(t, c.key, c.b2.id, card.uid)).toEqual(allow(card.id));
  });
});

describe('grants across Shanghai midnight (the service clock set to either side)', () => {
  // 2026-12-01 23:59 in Shanghai is 15:59Z; 2 December starts at 16:00Z.
  const BEFORE_MIDNIGHT = '2026-12-01T15:59:00Z';
  const AFTER_MIDNIGHT = '2026-12-01T16:01:00Z';

  async function setUp(window: Parameters<typeof grant>[3]) {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: community(), building: '1号楼' });
    await grant(t, here.b1.id, resident.id, window);
    const at = async (instant: string) => {
      setClock(instant);
      try {
        return await check(t, here.key, here.b1.id, card.uid);
      } finally {
        thawClock();
      }
    };
    return { card, at };
  }

  test('a night shift 22:00-06:00 ending on 1 December stops at midnight, since dates apply to the moment itself', async () => {
    const { card, at } = await setUp({ validUntil: '2026-12-01', hours: { from: '22:00', to: '06:00' } });
    expect(await at(BEFORE_MIDNIGHT)).toEqual(allow(card.id));
    expect(await at(AFTER_MIDNIGHT)).toEqual(deny('outside_hours', card.id));
  });

  test('the same shift from 2 December: closed at 23:59 on the 1st, open at 00:01 on the 2nd, closed at 06:00', async () => {
    const { card, at } = await setUp({ validFrom: '2026-12-02', hours: { from: '22:00', to: '06:00' } });
    expect(await at(BEFORE_MIDNIGHT)).toEqual(deny('outside_hours', card.id));
    expect(await at(AFTER_MIDNIGHT)).toEqual(allow(card.id));
    expect(await at('2026-12-01T21:59:00Z')).toEqual(allow(card.id)); // 05:59
    expect(await at('2026-12-01T22:00:00Z')).toEqual(deny('outside_hours', card.id)); // 06:00, exclusive
  });

  test('a day pass for 1 December: open 00:00 to 23:59 Shanghai, which is 16:00Z on 30 November to 15:59Z', async () => {
    const { card, at } = await setUp({ validFrom: '2026-12-01', validUntil: '2026-12-01' });
    expect(await at('2026-11-30T15:59:00Z')).toEqual(deny('outside_hours', card.id));
    expect(await at('2026-11-30T16:00:00Z')).toEqual(allow(card.id));
    expect(await at(BEFORE_MIDNIGHT)).toEqual(allow(card.id));
    expect(await at('2026-12-01T16:00:00Z')).toEqual(deny('outside_hours', card.id));
  });

  test('hours up to midnight (22:00-00:00): 23:59 is in, 00:00 is out', async () => {
    const { card, at } = await setUp({ hours: { from: '22:00', to: '00:00' } });
    expect(await at(BEFORE_MIDNIGHT)).toEqual(allow(card.id));
    expect(await at('2026-12-01T16:00:00Z')).toEqual(deny('outside_hours', card.id));
  });
});

describe('every card state, through the API', () => {
  async function holder() {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const outsider = await door(t, community(), '5号楼');
    await grant(t, outsider.id, resident.id);
    const key = await doorKey(t, here.gate.id, here.b1.id, outsider.id);
    const doors = [here.gate.id, here.b1.id, outsider.id];
    const everywhere = async (uid: string) => {
      const answers: Decision[] = [];
      for (const d of doors) answers.push(await check(t, key, d, uid));
      return answers;
    };
    return { here, resident, card, key, doors, everywhere };
  }

  test('active: the gate, the building and the granted door', async () => {
    const h = await holder();
    expect(await h.everywhere(h.card.uid)).toEqual([allow(h.card.id), allow(h.card.id), allow(h.card.id)]);
  });

  test.each([['lost'], ['stolen'], ['suspended']] as const)('locked (%s): card_not_active everywhere before the lock answers; unlocked: back', async (reason) => {
    const h = await holder();
    await lockCard(t, h.card.id, reason);
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(deny('card_not_active', h.card.id)));
    await unlockCard(t, h.card.id);
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(allow(h.card.id)));
  });

  test.each([['damaged'], ['lost'], ['stolen']] as const)('replaced (%s): the old card is card_not_active, the new one opens the same doors', async (reason) => {
    const h = await holder();
    const fresh = await replaceCard(t, h.card.id, reason);
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(deny('card_not_active', h.card.id)));
    expect(await h.everywhere(fresh.uid)).toEqual(Array(3).fill(allow(fresh.id)));
  });

  test('a locked card replaced: old still card_not_active, new allowed', async () => {
    const h = await holder();
    await lockCard(t, h.card.id, 'lost');
    const fresh = await replaceCard(t, h.card.id, 'lost');
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(deny('card_not_active', h.card.id)));
    expect(await h.everywhere(fresh.uid)).toEqual(Array(3).fill(allow(fresh.id)));
  });

  test('closed: card_not_active everywhere', async () => {
    const h = await holder();
    await closeCard(t, h.card.id);
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(deny('card_not_active', h.card.id)));
  });

  test("a UID issued again after its card was closed decides by the new card's holder", async () => {
    const h = await holder();
    await closeCard(t, h.card.id);
    const elsewhere = await estate();
    const bob = await registerResident(t, { address: { community: elsewhere.name, building: '2号楼' } });
    const bobs = await issueCard(t, bob.id, h.card.uid);
    expect(bobs.uid).toBe(h.card.uid);
    expect(await h.everywhere(h.card.uid)).toEqual(Array(3).fill(deny('no_access', bobs.id)));
    expect(await check(t, elsewhere.key, elsewhere.b2.id, h.card.uid)).toEqual(allow(bobs.id));
  });

  test('each decision is logged with the rule that decided it', async () => {
    const h = await holder();
    const [gate, building, outsider] = h.doors;
    const outsiderGrant = (await t.knex('door_grants').where({ door_id: outsider, resident_id: h.resident.id }).first('id')).id;
    await h.everywhere(h.card.uid);
    await lockCard(t, h.card.id);
    await check(t, h.key, gate, h.card.uid);
    await unlockCard(t, h.card.id);
    const fresh = await replaceCard(t, h.card.id);
    await check(t, h.key, gate, h.card.uid);
    await closeCard(t, fresh.id);
    await check(t, h.key, gate, fresh.uid);
    await check(t, h.key, gate, 'DEADBEEF');
    const rules = async (doorId: string) => (await allDoorEvents(t, doorId)).items.map((e) => [e.reason, e.rule]).reverse();
    expect(await rules(gate)).toEqual([
      ['ok', 'community_gate'],
      ['card_not_active', 'card_locked'],
      ['card_not_active', 'card_replaced'],
      ['card_not_active', 'card_closed'],
      ['unknown_card', 'unknown_card'],
    ]);
    expect(await rules(building)).toEqual([['ok', 'building']]);
    expect(await rules(outsider)).toEqual([['ok', `grant:${outsiderGrant}`]]);
  });

  test('the rules no_rule and grant_window:<id> too', async () => {
    const here = await estate();
    const { resident, card } = await residentWithCardAt({ community: community(), building: '1号楼' });
    const g = await grant(t, here.b1.id, resident.id, { hours: hoursAround('closed') });
    await check(t, here.key, here.b1.id, card.uid);
    await check(t, here.key, here.b2.id, card.uid);
    expect((await allDoorEvents(t, here.b1.id)).items.map((e) => e.rule)).toEqual([`grant_window:${g.id}`]);
    expect((await allDoorEvents(t, here.b2.id)).items.map((e) => e.rule)).toEqual(['no_rule']);
  });
});

describe('the access log: GET /v1/doors/:id/events', () => {
  test('one event per check, newest first, with everything the contract names', async () => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const keyRow = await apiKey(t, 'door', { doorIds: [here.gate.id] });
    await check(t, bearer(keyRow.key), here.gate.id, separated(card.uid, ':'));
    await check(t, bearer(keyRow.key), here.gate.id, '0a0b0c0d');
    const res = await doorEvents(t, here.gate.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { id: expect.any(String), doorId: here.gate.id, uid: '0A0B0C0D', cardId: null, decision: 'deny', reason: 'unknown_card', rule: 'unknown_card', apiKeyId: keyRow.id, at: expect.any(String) },
        { id: expect.any(String), doorId: here.gate.id, uid: card.uid, cardId: card.id, decision: 'allow', reason: 'ok', rule: 'community_gate', apiKeyId: keyRow.id, at: expect.any(String) },
      ],
      nextCursor: null,
    });
    const [second, first] = res.body.items;
    expect(new Date(second.at).toISOString()).toBe(second.at);
    expect(Date.parse(second.at)).toBeGreaterThanOrEqual(Date.parse(first.at));
  });

  test('?cardId=, ?from= (inclusive) and ?to= (exclusive), and the cursor through every page', async () => {
    const here = await estate();
    const a = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const b = await residentWithCardAt({ community: here.name, building: '2号楼' });
    // Eight checks a minute apart from 10:00Z: A, B, A, B, ...
    const minute = (i: number) => new Date(Date.UTC(2026, 11, 5, 10, i)).toISOString();
    for (let i = 0; i < 8; i++) {
      setClock(minute(i));
      await check(t, here.key, here.gate.id, (i % 2 === 0 ? a : b).card.uid);
    }
    thawClock();

    const all = await allDoorEvents(t, here.gate.id, { limit: 3 });
    expect(all.pages).toBe(3);
    expect(all.items.map((e) => e.at)).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map(minute));
    expect(new Set(all.items.map((e) => e.id)).size).toBe(8);

    const ofA = await allDoorEvents(t, here.gate.id, { cardId: a.card.id, limit: 2 });
    expect(ofA.items.map((e) => [e.at, e.cardId])).toEqual([6, 4, 2, 0].map((i) => [minute(i), a.card.id]));

    const window = await allDoorEvents(t, here.gate.id, { from: minute(2), to: minute(5), limit: 2 });
    expect(window.items.map((e) => e.at)).toEqual([4, 3, 2].map(minute));

    // The same window written in Shanghai time.
    const local = (i: number) => `2026-12-05T18:0${i}:00+08:00`;
    expect((await allDoorEvents(t, here.gate.id, { from: local(2), to: local(5) })).items.map((e) => e.at)).toEqual([4, 3, 2].map(minute));

    const both = await allDoorEvents(t, here.gate.id, { cardId: b.card.id, from: minute(2), to: minute(7) });
    expect(both.items.map((e) => e.at)).toEqual([5, 3].map(minute));

    // Another door's events are not this door's.
    expect((await allDoorEvents(t, here.b1.id)).items).toEqual([]);
  });

  test('checks answered a moment ago are already in the log (the buffer is flushed first)', async () => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    for (let i = 0; i < 5; i++) await check(t, here.key, here.b1.id, card.uid);
    const res = await doorEvents(t, here.b1.id);
    expect(res.body.items).toHaveLength(5);
  });
});

describe('retention of the access log', () => {
  const DAY = 86_400_000;
  // The job runs through a knex capped at 100 queries (sweepAccessLog): a delete loop that
  // never ends (as it once did on PGlite, whose DELETE answers an object, not a count) fails
  // here instead of hanging the process.
  const onEveryMode = (name: string, fn: () => Promise<void>) => test(name, fn);

  async function insertEvents(app: TestApp, doorId: string, ats: Date[]) {
    const keyId = (await app.knex('api_keys').first('id')).id;
    const rows = ats.map((at) => ({ door_id: doorId, uid: 'DEADBEEF', card_id: null, decision: 'deny', reason: 'unknown_card', rule: 'unknown_card', api_key_id: keyId, at }));
    return (await app.knex('access_events').insert(rows).returning('id')).map((r: { id: string }) => String(r.id));
  }
  const countEvents = async () => Number((await t.knex('access_events').count<{ n: string }[]>('* as n'))[0].n);

  onEveryMode('sweep deletes events older than ACCESS_LOG_RETENTION_DAYS (180 by default), nothing younger, and says how many', async () => {
    const here = await estate();
    const elsewhere = await estate();
    await flushAccessLog(t);
    const now = new Date('2026-11-29T12:00:00Z');
    const [older, boundary, younger] = await insertEvents(t, here.gate.id, [new Date(now.getTime() - 180 * DAY - 1), new Date(now.getTime() - 180 * DAY), new Date(now.getTime() - 179 * DAY)]);
    const [otherOld] = await insertEvents(t, elsewhere.gate.id, [new Date(now.getTime() - 400 * DAY)]);
    const before = await countEvents();

    const { queries, ...swept } = await sweepAccessLog(t, now);
    const left = (await t.knex('access_events').whereIn('id', [older, boundary, younger, otherOld]).pluck('id')).map(String);
    expect({ swept, left: left.sort(), count: await countEvents() }).toEqual({ swept: { events: 2, tombstones: 0 }, left: [boundary, younger].sort(), count: before - 2 });
    expect(queries).toBeLessThan(10);
    // A second sweep has nothing left to do.
    expect(await sweepAccessLog(t, now)).toEqual({ events: 0, tombstones: 0, queries: expect.any(Number) });
  });

  onEveryMode('the API lists an old event until the sweep, and not after', async () => {
    const here = await estate();
    // The same fixed "now" as the tests around it: their events must not age out here as the calendar moves on.
    const now = new Date('2026-11-29T12:00:00Z');
    await insertEvents(t, here.gate.id, [new Date(now.getTime() - 200 * DAY), new Date(now.getTime() - DAY)]);
    expect((await allDoorEvents(t, here.gate.id)).items).toHaveLength(2);
    expect(await sweepAccessLog(t, now)).toEqual({ events: 1, tombstones: expect.any(Number), queries: expect.any(Number) });
    expect((await allDoorEvents(t, here.gate.id)).items.map((e) => e.at)).toEqual([new Date(now.getTime() - DAY).toISOString()]);
  });

  onEveryMode('more old events than one delete slice (10,000): all of them go, and the count adds up', async () => {
    const here = await estate();
    const keyId = (await t.knex('api_keys').first('id')).id;
    const now = new Date('2026-11-29T12:00:00Z');
    await t.knex.raw(
      `INSERT INTO access_events (door_id, uid, card_id, decision, reason, rule, api_key_id, at)
       SELECT ?, 'DEADBEEF', NULL, 'deny', 'unknown_card', 'unknown_card', ?, ?::timestamptz - (n || ' seconds')::interval FROM generate_series(1, 10005) AS n`,
      [here.gate.id, keyId, new Date(now.getTime() - 181 * DAY).toISOString()],
    );
    await insertEvents(t, here.gate.id, [new Date(now.getTime() - DAY)]);
    const { queries, ...swept } = await sweepAccessLog(t, now);
    expect(swept).toEqual({ events: 10005, tombstones: 0 });
    expect(queries).toBeLessThan(10);
    expect(Number((await t.knex('access_events').where({ door_id: here.gate.id }).count<{ n: string }[]>('* as n'))[0].n)).toBe(1);
  });

  test('ACCESS_LOG_RETENTION_DAYS is read from the environment, 180 when unset, and a bad value stops the start', () => {
    expect(loadConfig({}).accessLogRetentionDays).toBe(180);
    expect(loadConfig({ ACCESS_LOG_RETENTION_DAYS: '30' }).accessLogRetentionDays).toBe(30);
    for (const bad of ['0', '-5', 'soon', '1.5']) expect(() => loadConfig({ ACCESS_LOG_RETENTION_DAYS: bad })).toThrow(/ACCESS_LOG_RETENTION_DAYS/);
  });

  // On PGlite the scheduled run itself would freeze this test process (the BUG above), so
  // the schedule is only tested on a server.
  test('the job runs by itself on its schedule, with the configured retention', async () => {
    const own = await startTestApp({ config: { accessLogRetentionDays: 7, accessLogSweepIntervalMs: 1000 } });
    try {
      const gate = await door(own, community());
      const now = Date.now();
      await insertEvents(own, gate.id, [new Date(now - 8 * DAY), new Date(now - 6 * DAY)]);
      const ats = await eventually(
        async () => (await own.knex('access_events').where({ door_id: gate.id }).pluck('at')).map((d: Date) => d.getTime()),
        (left) => left.length === 1,
        150,
        50,
      );
      expect(ats).toEqual([now - 6 * DAY]);
    } finally {
      await own.close();
    }
  });
});

describe('bad input and conflicts: the contract answer, and nothing changed', () => {
  let f: {
    gate: { id: string };
    other: { id: string };
    key: Record<string, string>;
    residentId: string;
    uid: string;
    grantId: string;
    otherGrantId: string;
    operator: string;
    merchant: string;
    auditor: string;
  };
  beforeAll(async () => {
    const here = await estate();
    const other = await door(t, community());
    const r = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const g = await grant(t, here.b2.id, r.resident.id);
    const og = await grant(t, other.id, r.resident.id);
    f = {
      gate: here.gate,
      other,
      key: await doorKey(t, here.gate.id, here.b2.id),
      residentId: r.resident.id,
      uid: r.card.uid,
      grantId: g.id,
      otherGrantId: og.id,
      operator: (await apiKey(t, 'operator')).key,
      merchant: (await apiKey(t, 'merchant')).key,
      auditor: (await apiKey(t, 'auditor')).key,
    };
  });

  type Call = () => PromiseLike<{ status: number; body: unknown }>;
  const checkBody = (body: unknown): Call => () => t.http.post('/v1/access/check').set(f.key).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const grantBody = (body: Record<string, unknown>, doorId?: string, key = TEST_ADMIN_KEY): Call => () =>
    t.http.post(`/v1/doors/${doorId ?? f.gate.id}/grants`).set(bearer(key)).send({ residentId: f.residentId, ...body });
  const since = (value: string): Call => () => t.http.get(`/v1/doors/${f.gate.id}/allowlist?since=${value}`).set(f.key);
  const events = (query: string, key = TEST_ADMIN_KEY): Call => () => t.http.get(`/v1/doors/${f.gate.id}/events?${query}`).set(bearer(key));

  const cases: [string, Call, number, string, string?][] = [
    // POST /v1/access/check
    ['check: a UID of letters', () => checkBody({ doorId: f.gate.id, uid: 'xyz' })(), 400, 'validation_failed', 'uid'],
    ['check: a 3-byte UID', () => checkBody({ doorId: f.gate.id, uid: '04A1B2' })(), 400, 'validation_failed', 'uid'],
    ['check: a 5-byte UID', () => checkBody({ doorId: f.gate.id, uid: '0102030405' })(), 400, 'validation_failed', 'uid'],
    ['check: an 11-byte UID', () => checkBody({ doorId: f.gate.id, uid: '0102030405060708090A0B' })(), 400, 'validation_failed', 'uid'],
    ['check: a doubled separator', () => checkBody({ doorId: f.gate.id, uid: '04::A1:B2:C3' })(), 400, 'validation_failed', 'uid'],
    ['check: a UID as a number', () => checkBody({ doorId: f.gate.id, uid: 4161 })(), 400, 'validation_failed', 'uid'],
    ['check: no UID', () => checkBody({ doorId: f.gate.id })(), 400, 'validation_failed', 'uid'],
    ['check: a null UID', () => checkBody({ doorId: f.gate.id, uid: null })(), 400, 'validation_failed', 'uid'],
    ['check: a door id that is not a UUID', () => checkBody({ doorId: 'front-gate', uid: f.uid })(), 400, 'validation_failed', 'doorId'],
    ['check: no door id', () => checkBody({ uid: f.uid })(), 400, 'validation_failed', 'doorId'],
    ['check: an unknown field', () => checkBody({ doorId: f.gate.id, uid: f.uid, force: true })(), 400, 'validation_failed', 'force'],
    ['check: a JSON array', () => checkBody([{ doorId: f.gate.id, uid: f.uid }])(), 400, 'validation_failed'],
    ['check: a JSON string', () => checkBody('open')(), 400, 'validation_failed'],
    ['check: JSON that does not parse', () => t.http.post('/v1/access/check').set(f.key).set('Content-Type', 'application/json').send('{"doorId": '), 400, 'validation_failed'],
    ['check: a malformed UID at a door the key does not cover', () => checkBody({ doorId: f.other.id, uid: 'xyz' })(), 400, 'validation_failed', 'uid'],
    ['check: a door the key does not cover', () => checkBody({ doorId: f.other.id, uid: f.uid })(), 403, 'forbidden'],
    ['check: a door that does not exist', () => checkBody({ doorId: randomUUID(), uid: f.uid })(), 403, 'forbidden'],
    // POST /v1/doors/:id/grants
    ['grant: validUntil before validFrom', grantBody({ validFrom: '2026-12-10', validUntil: '2026-12-09' }), 400, 'validation_failed', 'validUntil'],
    ['grant: hours 25:00', grantBody({ hours: { from: '08:00', to: '25:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours 24:00', grantBody({ hours: { from: '24:00', to: '06:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours 07:60', grantBody({ hours: { from: '07:60', to: '09:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours without a leading zero', grantBody({ hours: { from: '7:00', to: '19:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours from = to', grantBody({ hours: { from: '08:00', to: '08:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours without to', grantBody({ hours: { from: '08:00' } }), 400, 'validation_failed', 'hours'],
    ['grant: hours with an unknown field', grantBody({ hours: { from: '08:00', to: '09:00', tz: 'UTC' } }), 400, 'validation_failed', 'tz'],
    ['grant: hours as one string', grantBody({ hours: '08:00-18:00' }), 400, 'validation_failed', 'hours'],
    ['grant: a day that does not exist', grantBody({ validFrom: '2026-02-30' }), 400, 'validation_failed', 'validFrom'],
    ['grant: a timestamp for a day', grantBody({ validFrom: '2026-12-01T00:00:00Z' }), 400, 'validation_failed', 'validFrom'],
    ['grant: a day without dashes', grantBody({ validUntil: '20261231' }), 400, 'validation_failed', 'validUntil'],
    ['grant: a resident id that is not a UUID', grantBody({ residentId: 'r-1' }), 400, 'validation_failed', 'residentId'],
    ['grant: no resident', () => t.http.post(`/v1/doors/${f.gate.id}/grants`).set(admin).send({}), 400, 'validation_failed', 'residentId'],
    ['grant: an unknown field', grantBody({ reason: 'cleaner' }), 400, 'validation_failed', 'reason'],
    ['grant: a door id that is not a UUID', () => t.http.post('/v1/doors/front-gate/grants').set(admin).send({ residentId: f.residentId }), 400, 'validation_failed', 'id'],
    ['grant: a resident that does not exist', grantBody({ residentId: randomUUID() }), 404, 'resident_not_found'],
    ['grant: a door that does not exist', grantBody({}, randomUUID()), 404, 'door_not_found'],
    ['grant: by a door key', () => t.http.post(`/v1/doors/${f.gate.id}/grants`).set(f.key).send({ residentId: f.residentId }), 403, 'forbidden'],
    ['grant: by a merchant key', () => grantBody({}, undefined, f.merchant)(), 403, 'forbidden'],
    ['grant: by an auditor key', () => grantBody({}, undefined, f.auditor)(), 403, 'forbidden'],
    // DELETE /v1/doors/:id/grants/:grantId
    ['revoke: a grant that does not exist', () => t.http.delete(`/v1/doors/${f.gate.id}/grants/${randomUUID()}`).set(admin), 404, 'grant_not_found'],
    ["revoke: another door's grant", () => t.http.delete(`/v1/doors/${f.gate.id}/grants/${f.otherGrantId}`).set(admin), 404, 'grant_not_found'],
    ['revoke: a grant id that is not a UUID', () => t.http.delete(`/v1/doors/${f.gate.id}/grants/g-1`).set(admin), 400, 'validation_failed', 'id'],
    ['revoke: by a door key', () => t.http.delete(`/v1/doors/${f.other.id}/grants/${f.otherGrantId}`).set(f.key), 403, 'forbidden'],
    ['revoke: by a merchant key', () => t.http.delete(`/v1/doors/${f.other.id}/grants/${f.otherGrantId}`).set(bearer(f.merchant)), 403, 'forbidden'],
    // GET /v1/doors/:id/allowlist
    ...(['abc', '-1', '1.5', '01', '', '1e3', '0x10', '%201', '+1', '9999999999999999', 'null'].map((v) => [`allowlist: since=${v}`, since(v), 400, 'validation_failed', 'since']) as [string, Call, number, string, string][]),
    ['allowlist: since twice', () => t.http.get(`/v1/doors/${f.gate.id}/allowlist?since=1&since=2`).set(f.key), 400, 'validation_failed', 'since'],
    ['allowlist: a door the key does not cover', () => t.http.get(`/v1/doors/${f.other.id}/allowlist`).set(f.key), 403, 'forbidden'],
    ['allowlist: an operator key', () => t.http.get(`/v1/doors/${f.gate.id}/allowlist`).set(bearer(f.operator)), 403, 'forbidden'],
    ['allowlist: a merchant key', () => t.http.get(`/v1/doors/${f.gate.id}/allowlist`).set(bearer(f.merchant)), 403, 'forbidden'],
    ['allowlist: an admin, for a door that does not exist', () => t.http.get(`/v1/doors/${randomUUID()}/allowlist`).set(admin), 404, 'door_not_found'],
    ['allowlist: a door id that is not a UUID', () => t.http.get('/v1/doors/gate/allowlist').set(f.key), 400, 'validation_failed', 'id'],
    // GET /v1/doors/:id/events
    ['events: cardId not a UUID', events('cardId=x'), 400, 'validation_failed', 'cardId'],
    ['events: from not a timestamp', events('from=yesterday'), 400, 'validation_failed', 'from'],
    ['events: to in month 13', events('to=2026-13-01T00:00:00Z'), 400, 'validation_failed', 'to'],
    ['events: a cursor it never issued', events('cursor=bm90LWEtY3Vyc29y'), 400, 'validation_failed', 'cursor'],
    ['events: limit 0', events('limit=0'), 400, 'validation_failed', 'limit'],
    ['events: limit 501', events('limit=501'), 400, 'validation_failed', 'limit'],
    ['events: an unknown door', () => t.http.get(`/v1/doors/${randomUUID()}/events`).set(admin), 404, 'door_not_found'],
    ['events: a door key', () => t.http.get(`/v1/doors/${f.gate.id}/events`).set(f.key), 403, 'forbidden'],
    ['events: an operator key', () => t.http.get(`/v1/doors/${f.gate.id}/events`).set(bearer(f.operator)), 403, 'forbidden'],
    ['events: an auditor key', () => t.http.get(`/v1/doors/${f.gate.id}/events`).set(bearer(f.auditor)), 403, 'forbidden'],
    // GET /v1/doors/:id/grants
    ['grants list: an unknown door', () => t.http.get(`/v1/doors/${randomUUID()}/grants`).set(admin), 404, 'door_not_found'],
    ['grants list: a door key', () => t.http.get(`/v1/doors/${f.gate.id}/grants`).set(f.key), 403, 'forbidden'],
    // POST /v1/doors
    ['door: no community', () => t.http.post('/v1/doors').set(admin).send({ name: 'gate' }), 400, 'validation_failed', 'community'],
    ['door: a blank building', () => t.http.post('/v1/doors').set(admin).send({ name: 'gate', community: '金杨新村', building: '  ' }), 400, 'validation_failed', 'building'],
    ['door: a control character in the name', () => t.http.post('/v1/doors').set(admin).send({ name: 'a\nb', community: '金杨新村' }), 400, 'validation_failed', 'name'],
    ['door: an unknown field', () => t.http.post('/v1/doors').set(admin).send({ name: 'g', community: '金杨新村', open: true }), 400, 'validation_failed', 'open'],
    ['door: by an operator', () => t.http.post('/v1/doors').set(bearer(f.operator)).send({ name: 'g', community: '金杨新村' }), 403, 'forbidden'],
    ['door: by a door key', () => t.http.post('/v1/doors').set(f.key).send({ name: 'g', community: '金杨新村' }), 403, 'forbidden'],
    // POST /v1/api-keys for doors
    ['door key: a door that does not exist', () => t.http.post('/v1/api-keys').set(admin).send({ role: 'door', name: 'x', doorIds: [randomUUID()] }), 404, 'door_not_found'],
    ['door key: one real door, one that does not exist', () => t.http.post('/v1/api-keys').set(admin).send({ role: 'door', name: 'x', doorIds: [f.gate.id, randomUUID()] }), 404, 'door_not_found'],
  ];

  // Objects, not arrays: a row shorter than the callback's parameter list would be taken for a done-callback test.
  test.each(cases.map(([name, call, status, code, field]) => ({ name, call, status, code, field })))('$name: $status $code', async ({ call, status, code, field }) => {
    const before = await accessCounts(t);
    const res = await call();
    expectError(res, status, code);
    if (field) expect((res.body as { message: string }).message).toContain(field);
    expect(await accessCounts(t)).toEqual(before);
  });

  test('after all of that, the fixture still decides as before: nothing was granted, revoked or locked', async () => {
    expect(await check(t, f.key, f.gate.id, f.uid)).toEqual(expect.objectContaining({ decision: 'allow', reason: 'ok' }));
    expect(await t.knex('door_grants').where({ id: f.otherGrantId }).first('revoked_at')).toEqual({ revoked_at: null });
    expect(Number((await t.knex('door_grants').where({ door_id: f.gate.id }).count<{ n: string }[]>('* as n'))[0].n)).toBe(0);
  });
});

describe('who may call what', () => {
  test.each([['admin'], ['operator'], ['merchant'], ['auditor']] as const)('a %s key: 403 forbidden, and nothing logged', async (role) => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const key = role === 'admin' ? TEST_ADMIN_KEY : (await apiKey(t, role)).key;
    const before = await accessCounts(t);
    expectError(await t.http.post('/v1/access/check').set(bearer(key)).send({ doorId: here.gate.id, uid: card.uid }), 403, 'forbidden');
    expect(await accessCounts(t)).toEqual(before);
  });

  test('no key, or a revoked door key: 401', async () => {
    const here = await estate();
    expectError(await t.http.post('/v1/access/check').send({ doorId: here.gate.id, uid: 'DEADBEEF' }), 401, 'unauthorized');
    const k = await apiKey(t, 'door', { doorIds: [here.gate.id] });
    expect((await t.http.post('/v1/access/check').set(bearer(k.key)).send({ doorId: here.gate.id, uid: 'DEADBEEF' })).status).toBe(200);
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(admin)).status).toBe(204);
    expectError(await t.http.post('/v1/access/check').set(bearer(k.key)).send({ doorId: here.gate.id, uid: 'DEADBEEF' }), 401, 'unauthorized');
  });

  test('GET /v1/doors/:id: a door key reads its own doors only; admin and operator any', async () => {
    const a = await estate();
    const b = await estate();
    const operator = (await apiKey(t, 'operator')).key;
    expect((await t.http.get(`/v1/doors/${a.b1.id}`).set(a.key)).body).toEqual(a.b1);
    expectError(await t.http.get(`/v1/doors/${b.b1.id}`).set(a.key), 403, 'forbidden');
    expect((await t.http.get(`/v1/doors/${b.b1.id}`).set(bearer(operator))).body).toEqual(b.b1);
    expect((await t.http.get(`/v1/doors/${b.b1.id}`).set(admin)).body).toEqual(b.b1);
  });

  test("a door key checks only its own doors: another door's check is 403, its own still answers", async () => {
    const a = await estate();
    const b = await estate();
    const { card } = await residentWithCardAt({ community: b.name, building: '1号楼' });
    expectError(await t.http.post('/v1/access/check').set(a.key).send({ doorId: b.gate.id, uid: card.uid }), 403, 'forbidden');
    expect(await check(t, b.key, b.gate.id, card.uid)).toEqual(allow(card.id));
    expect(await check(t, a.key, a.gate.id, card.uid)).toEqual(deny('no_access', card.id));
  });
});

describe('changes made in SQL, outside the API (no fence: the index hears them through its feed)', () => {
  test('a door deleted from the database answers 404 door_not_found, like its allowlist', async () => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const key = await doorKey(t, here.gate.id);
    expect(await check(t, key, here.gate.id, card.uid)).toEqual(allow(card.id));
    await t.knex('doors').where({ id: here.gate.id }).delete();
    expectError(await t.http.get(`/v1/doors/${here.gate.id}/allowlist`).set(key), 404, 'door_not_found');
    const res = await eventually(
      () => t.http.post('/v1/access/check').set(key).send({ doorId: here.gate.id, uid: card.uid }),
      (r) => r.status === 404,
    );
    expectError(res, 404, 'door_not_found');
  });

  test('a door moved to another building, and a grant deleted, decide by the new rows', async () => {
    const here = await estate();
    const { card } = await residentWithCardAt({ community: here.name, building: '1号楼' });
    const visitor = await residentWithCardAt({ community: community(), building: '1号楼' });
    const g = await grant(t, here.b2.id, visitor.resident.id);
    expect(await check(t, here.key, here.b2.id, visitor.card.uid)).toEqual(allow(visitor.card.id));

    await t.knex('doors').where({ id: here.b2.id }).update({ building: '1号楼' });
    expect(await eventually(() => check(t, here.key, here.b2.id, card.uid), (d) => d.decision === 'allow')).toEqual(allow(card.id));
    await t.knex('door_grants').where({ id: g.id }).delete();
    expect(await eventually(() => check(t, here.key, here.b2.id, visitor.card.uid), (d) => d.decision === 'deny')).toEqual(deny('no_access', visitor.card.id));
  });
});
