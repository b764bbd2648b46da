import type { LockReason } from '../card.view';

/** A locked card must stop opening doors and paying at once: door and payment caches react to this. */
export class CardLockedEvent {
  constructor(
    readonly cardId: string,
    readonly uid: string,
    readonly residentId: string,
    readonly reason: LockReason,
  ) {}
}
