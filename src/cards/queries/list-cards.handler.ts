import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import type { Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { ResidentNotFound } from '../../residents/residents.errors';
import { ResidentsRepository } from '../../residents/residents.repository';
import { cardView, type CardView } from '../card.view';
import { CardsRepository } from '../cards.repository';
import { ListCardsQuery } from './list-cards.query';

/** A UID or a resident has a handful of cards at most, so these lists come whole, in one page. */
@QueryHandler(ListCardsQuery)
export class ListCardsHandler implements IQueryHandler<ListCardsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly residents: ResidentsRepository,
  ) {}

  async execute({ filter }: ListCardsQuery): Promise<Page<CardView>> {
    if ('uid' in filter) return { items: (await this.cards.listByUid(this.knex, filter.uid)).map(cardView), nextCursor: null };
    if (!(await this.residents.findById(this.knex, filter.residentId))) throw new ResidentNotFound();
    return { items: (await this.cards.listByResident(this.knex, filter.residentId)).map(cardView), nextCursor: null };
  }
}
