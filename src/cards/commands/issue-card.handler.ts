import { randomUUID } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { cashWallet } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { ResidentNotFound } from '../../residents/residents.errors';
import { ResidentsRepository } from '../../residents/residents.repository';
import { cardView, type CardView } from '../card.view';
import { ResidentHasCard, UidInUse, UidRetired } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardIssuedEvent } from '../events/card-issued.event';
import { IssueCardCommand } from './issue-card.command';

@CommandHandler(IssueCardCommand)
export class IssueCardHandler implements ICommandHandler<IssueCardCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly residents: ResidentsRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ residentId, uid, by }: IssueCardCommand): Promise<CardView> {
    const card = await inTransaction(this.knex, async (trx) => {
      if (!(await this.residents.findById(trx, residentId, 'share'))) throw new ResidentNotFound();
      if (await this.cards.isRetired(trx, uid)) throw new UidRetired();
      // Checked first for a clear answer; the unique indexes decide races between desks.
      if (await this.cards.findHolderOfUid(trx, uid)) throw new UidInUse();
      if (await this.cards.findCurrentOfResident(trx, residentId)) throw new ResidentHasCard();
      const row = await this.cards.insert(trx, { id: randomUUID(), uid, residentId });
      await ledgerFor(trx).openAccounts([cashWallet(residentId)]);
      await this.cards.addEvent(trx, { cardId: row.id, action: 'issued', fromStatus: null, toStatus: 'active', reason: null, by });
      return row;
    });
    this.events.publish(new CardIssuedEvent(card.id, card.uid, card.resident_id));
    return cardView(card);
  }
}
