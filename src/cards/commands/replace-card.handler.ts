import { randomUUID } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { cardView, type CardRow, type CardView } from '../card.view';
import { CardNotActive, UidInUse, UidRetired } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardReplacedEvent } from '../events/card-replaced.event';
import { cardForUpdate } from './card-for-update';
import { ReplaceCardCommand } from './replace-card.command';

/**
 * 补卡: the old card dies and the new one is issued in one transaction. Balances and
 * door rights belong to the resident, so they are the new card's at once.
 */
@CommandHandler(ReplaceCardCommand)
export class ReplaceCardHandler implements ICommandHandler<ReplaceCardCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ cardId, uid, reason, by }: ReplaceCardCommand): Promise<CardView> {
    const { old, fresh } = await inTransaction(this.knex, async (trx) => {
      const old = await cardForUpdate(this.cards, trx, cardId);
      if (old.status !== 'active' && old.status !== 'locked') throw new CardNotActive(old.status);
      if (await this.cards.isRetired(trx, uid)) throw new UidRetired();
      if (await this.cards.findHolderOfUid(trx, uid)) throw new UidInUse();
      await this.cards.setStatus(trx, old.id, 'replaced', old.lock_reason);
      const fresh = await this.cards.insert(trx, { id: randomUUID(), uid, residentId: old.resident_id, replacesCardId: old.id });
      // A lost or stolen chip may turn up in someone else's hands: its UID is never issued again.
      if (reason !== 'damaged') await this.cards.retire(trx, old.uid, old.id, reason);
      await this.recordHistory(trx, old, fresh, reason, by);
      return { old, fresh };
    });
    this.events.publish(new CardReplacedEvent(old.id, old.uid, fresh.id, fresh.uid, fresh.resident_id, reason));
    return cardView(fresh);
  }

  private async recordHistory(trx: Knex.Transaction, old: CardRow, fresh: CardRow, reason: string, by: ReplaceCardCommand['by']) {
    await this.cards.addEvent(trx, { cardId: old.id, action: 'replaced', fromStatus: old.status, toStatus: 'replaced', reason, relatedCardId: fresh.id, by });
    await this.cards.addEvent(trx, { cardId: fresh.id, action: 'issued', fromStatus: null, toStatus: 'active', reason: `replacement (${reason})`, relatedCardId: old.id, by });
  }
}
