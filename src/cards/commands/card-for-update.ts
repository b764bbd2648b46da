import type { Knex } from 'knex';
import type { CardRow } from '../card.view';
import { CardNotFound } from '../cards.errors';
import { CardsRepository } from '../cards.repository';

/** Locks a card's row for a status change, so two desks acting on one card take turns. */
export async function cardForUpdate(cards: CardsRepository, trx: Knex.Transaction, cardId: string): Promise<CardRow> {
  const card = await cards.findById(trx, cardId, 'update');
  if (!card) throw new CardNotFound();
  return card;
}
