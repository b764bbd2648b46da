import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { cardView, type CardView } from '../card.view';
import { CardNotActive } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardLockedEvent } from '../events/card-locked.event';
import { cardForUpdate } from './card-for-update';
import { LockCardCommand } from './lock-card.command';

/** 挂失: from active only. The card stops working everywhere when this answers. */
@CommandHandler(LockCardCommand)
export class LockCardHandler implements ICommandHandler<LockCardCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ cardId, reason, by }: LockCardCommand): Promise<CardView> {
    const card = await inTransaction(this.knex, async (trx) => {
      const current = await cardForUpdate(this.cards, trx, cardId);
      if (current.status !== 'active') throw new CardNotActive(current.status);
      const row = await this.cards.setStatus(trx, cardId, 'locked', reason);
      await this.cards.addEvent(trx, { cardId, action: 'locked', fromStatus: 'active', toStatus: 'locked', reason, by });
      return row;
    });
    this.events.publish(new CardLockedEvent(card.id, card.uid, card.resident_id, reason));
    return cardView(card);
  }
}
