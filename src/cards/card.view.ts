export type CardStatus = 'active' | 'locked' | 'replaced' | 'closed';
export type LockReason = 'lost' | 'stolen' | 'suspended';

export interface CardRow {
  id: string;
  uid: string;
  resident_id: string;
  status: CardStatus;
  lock_reason: LockReason | null;
  replaces_card_id: string | null;
  issued_at: Date;
}

export interface CardView {
  id: string;
  uid: string;
  residentId: string;
  status: CardStatus;
  lockReason: LockReason | null;
  replacesCardId: string | null;
  issuedAt: string;
}

export function cardView(c: CardRow): CardView {
  return {
    id: c.id,
    uid: c.uid,
    residentId: c.resident_id,
    status: c.status,
    lockReason: c.lock_reason,
    replacesCardId: c.replaces_card_id,
    issuedAt: c.issued_at.toISOString(),
  };
}
