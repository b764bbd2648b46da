import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { cardView, type CardView } from '../card.view';
import { CardNotFound } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { GetCardQuery } from './get-card.query';

@QueryHandler(GetCardQuery)
export class GetCardHandler implements IQueryHandler<GetCardQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
  ) {}

  async execute({ cardId }: GetCardQuery): Promise<CardView> {
    const card = await this.cards.findById(this.knex, cardId);
    if (!card) throw new CardNotFound();
    return cardView(card);
  }
}
