import { type GrantWindow, shanghaiClock, windowOpen } from './windows';

export type CardStatus = 'active' | 'locked' | 'replaced' | 'closed';
export type AccessReason = 'ok' | 'unknown_card' | 'card_not_active' | 'no_access' | 'outside_hours';

export interface DoorEntry {
  id: string;
  community: string;
  /** null: a community gate. */
  building: string | null;
}

export interface CardEntry {
  id: string;
  uid: string;
  residentId: string;
  status: CardStatus;
}

export interface ResidentEntry {
  id: string;
  community: string;
  building: string;
}

export interface GrantEntry extends GrantWindow {
  id: string;
  doorId: string;
  residentId: string;
  revoked: boolean;
}

export interface Decision {
  decision: 'allow' | 'deny';
  reason: AccessReason;
  /** Which rule decided, for the access log: 'community_gate', 'building', 'grant:<id>', ... */
  rule: string;
  cardId?: string;
}

/**
 * Everything a door decision needs, in memory. Pure data: the feed that keeps it
 * exact lives in access-feed.ts. Each `put` replaces what the index knew about one
 * row with that row as last read from the database.
 */
export class AccessIndex {
  private readonly doors = new Map<string, DoorEntry>();
  private readonly residents = new Map<string, ResidentEntry>();
  private readonly cards = new Map<string, CardEntry>();
  private readonly cardIdByUid = new Map<string, string>();
  private readonly grants = new Map<string, GrantEntry>();
  /** `${doorId}|${residentId}` → the resident's live grants on that door. */
  private readonly grantsByDoorResident = new Map<string, GrantEntry[]>();

  get size(): { doors: number; cards: number; residents: number; grants: number } {
    return { doors: this.doors.size, cards: this.cards.size, residents: this.residents.size, grants: this.grants.size };
  }

  putDoor(door: DoorEntry): void {
    this.doors.set(door.id, door);
  }

  removeDoor(id: string): void {
    this.doors.delete(id);
  }

  putResident(resident: ResidentEntry): void {
    this.residents.set(resident.id, resident);
  }

  putCard(card: CardEntry): void {
    this.cards.set(card.id, card);
    const holderId = this.cardIdByUid.get(card.uid);
    const holder = holderId === undefined ? undefined : this.cards.get(holderId);
    // A closed card gives its UID up: it must not hide a newer card that was issued the same UID.
    if (holder === undefined || holder.id === card.id || holder.status === 'closed' || card.status !== 'closed') {
      this.cardIdByUid.set(card.uid, card.id);
    }
  }

  removeCard(id: string): void {
    const card = this.cards.get(id);
    if (card === undefined) return;
    this.cards.delete(id);
    if (this.cardIdByUid.get(card.uid) === id) this.cardIdByUid.delete(card.uid);
  }

  removeGrant(id: string): void {
    const grant = this.grants.get(id);
    if (grant !== undefined) this.putGrant({ ...grant, revoked: true });
  }

  putGrant(grant: GrantEntry): void {
    const key = `${grant.doorId}|${grant.residentId}`;
    const others = (this.grantsByDoorResident.get(key) ?? []).filter((g) => g.id !== grant.id);
    if (grant.revoked) {
      this.grants.delete(grant.id);
    } else {
      this.grants.set(grant.id, grant);
      others.push(grant);
    }
    if (others.length > 0) this.grantsByDoorResident.set(key, others);
    else this.grantsByDoorResident.delete(key);
  }

  /** null: the door is unknown. */
  decide(doorId: string, uid: string, now: Date): Decision | null {
    const door = this.doors.get(doorId);
    if (door === undefined) return null;
    const cardId = this.cardIdByUid.get(uid);
    const card = cardId === undefined ? undefined : this.cards.get(cardId);
    if (card === undefined) return { decision: 'deny', reason: 'unknown_card', rule: 'unknown_card' };
    if (card.status !== 'active') return { decision: 'deny', reason: 'card_not_active', rule: `card_${card.status}`, cardId: card.id };

    const resident = this.residents.get(card.residentId);
    if (resident !== undefined && resident.community === door.community) {
      if (door.building === null) return { decision: 'allow', reason: 'ok', rule: 'community_gate', cardId: card.id };
      if (door.building === resident.building) return { decision: 'allow', reason: 'ok', rule: 'building', cardId: card.id };
    }
    const grants = this.grantsByDoorResident.get(`${door.id}|${card.residentId}`);
    if (grants === undefined) return { decision: 'deny', reason: 'no_access', rule: 'no_rule', cardId: card.id };
    const clock = shanghaiClock(now);
    const open = grants.find((g) => windowOpen(g, clock));
    if (open !== undefined) return { decision: 'allow', reason: 'ok', rule: `grant:${open.id}`, cardId: card.id };
    return { decision: 'deny', reason: 'outside_hours', rule: `grant_window:${grants[0].id}`, cardId: card.id };
  }
}
