import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { cardView, type CardView } from '../card.view';
import { CardNotLocked } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardUnlockedEvent } from '../events/card-unlocked.event';
import { cardForUpdate } from './card-for-update';
import { UnlockCardCommand } from './unlock-card.command';

@CommandHandler(UnlockCardCommand)
export class UnlockCardHandler implements ICommandHandler<UnlockCardCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ cardId, by }: UnlockCardCommand): Promise<CardView> {
    const card = await inTransaction(this.knex, async (trx) => {
      const current = await cardForUpdate(this.cards, trx, cardId);
      if (current.status !== 'locked') throw new CardNotLocked(current.status);
      const row = await this.cards.setStatus(trx, cardId, 'active', null);
      await this.cards.addEvent(trx, { cardId, action: 'unlocked', fromStatus: 'locked', toStatus: 'active', reason: null, by });
      return row;
    });
    this.events.publish(new CardUnlockedEvent(card.id, card.uid, card.resident_id));
    return cardView(card);
  }
}
