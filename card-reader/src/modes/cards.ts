import type { ApiClient } from '../http';
import { fatalIfUnauthorized } from './mode';

/** A card as the service prints it. */
export interface CardView {
  id: string;
  uid: string;
  residentId: string;
  status: 'active' | 'locked' | 'replaced' | 'closed';
  lockReason: string | null;
  replacesCardId: string | null;
  issuedAt: string;
}

/**
 * The card that holds a UID now: the one not closed, else the latest. null: none.
 * Throws NetworkError when the service cannot be reached.
 */
export async function cardByUid(api: ApiClient, uid: string): Promise<CardView | null> {
  const answer = await api.call<{ items?: CardView[] }>('GET', `/v1/cards?uid=${encodeURIComponent(uid)}`);
  fatalIfUnauthorized(answer, 'look cards up');
  if (answer.status !== 200 || !Array.isArray(answer.body.items)) return null;
  const items = answer.body.items;
  return items.find((c) => c.status !== 'closed') ?? [...items].sort((a, b) => (a.issuedAt < b.issuedAt ? 1 : -1))[0] ?? null;
}
