import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { CardView } from '../card.view';

/** Cards by UID (every card that ever had it, newest first) or by resident. */
export class ListCardsQuery extends Query<Page<CardView>> {
  constructor(readonly filter: { uid: string } | { residentId: string }) {
    super();
  }
}
