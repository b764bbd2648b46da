import { Query } from '@nestjs/cqrs';
import type { CardView } from '../card.view';

export class GetCardQuery extends Query<CardView> {
  constructor(readonly cardId: string) {
    super();
  }
}
