import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { residentStatement, type StatementLine } from '../../ledger/statement';
import { CardNotFound } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardStatementQuery } from './card-statement.query';

/** The resident's statement, reached through any of their cards, old or new. */
@QueryHandler(CardStatementQuery)
export class CardStatementHandler implements IQueryHandler<CardStatementQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
  ) {}

  async execute(q: CardStatementQuery): Promise<Page<StatementLine>> {
    const before = decodeCursor(q.cursor, isIdCursor)?.id ?? null;
    const card = await this.cards.findById(this.knex, q.cardId);
    if (!card) throw new CardNotFound();
    const items = await residentStatement(this.knex, card.resident_id, before, q.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: items.length === q.limit && last ? encodeCursor({ id: last.entryId }) : null };
  }
}
