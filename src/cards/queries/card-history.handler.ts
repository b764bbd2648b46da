import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { CardNotFound } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardHistoryQuery, type CardHistoryItem } from './card-history.query';

/** Who did what to a card, when, from which state and why; oldest first. */
@QueryHandler(CardHistoryQuery)
export class CardHistoryHandler implements IQueryHandler<CardHistoryQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
  ) {}

  async execute(q: CardHistoryQuery): Promise<Page<CardHistoryItem>> {
    const after = decodeCursor(q.cursor, isIdCursor)?.id ?? '0';
    if (!(await this.cards.findById(this.knex, q.cardId))) throw new CardNotFound();
    const rows = await this.cards.history(this.knex, q.cardId, after, q.limit);
    const items = rows.map((r) => ({
      id: r.id,
      action: r.action,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      reason: r.reason,
      relatedCardId: r.related_card_id,
      by: { apiKeyId: r.api_key_id, name: r.api_key_name },
      at: r.created_at.toISOString(),
    }));
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === q.limit && last ? encodeCursor({ id: last.id }) : null };
  }
}
