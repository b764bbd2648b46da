import { randomUUID } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { CASH_DESK, cashWalletId } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { cardView, type CardRow } from '../card.view';
import { CardNotActive } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardClosedEvent } from '../events/card-closed.event';
import { cardForUpdate } from './card-for-update';
import { type CardClosed, CloseCardCommand } from './close-card.command';

/**
 * 销户: in one transaction the cash balance is paid out at the desk and the card is
 * closed. Closing a closed card changes nothing and answers with what it is.
 */
@CommandHandler(CloseCardCommand)
export class CloseCardHandler implements ICommandHandler<CloseCardCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly cards: CardsRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ cardId, idempotency, by }: CloseCardCommand): Promise<Outcome<CardClosed>> {
    let closed: { card: CardRow; refunded: string } | undefined;
    const outcome = await this.idempotency.run(idempotency, async (trx) => {
      closed = undefined;
      const card = await cardForUpdate(this.cards, trx, cardId);
      if (card.status === 'closed') return { statusCode: 200, body: { card: cardView(card), refunded: '0.00' } };
      if (card.status !== 'active' && card.status !== 'locked') throw new CardNotActive(card.status);
      const refunded = await this.payOutCash(trx, card);
      const row = await this.cards.setStatus(trx, card.id, 'closed', card.lock_reason);
      if (card.lock_reason === 'lost' || card.lock_reason === 'stolen') await this.cards.retire(trx, card.uid, card.id, card.lock_reason);
      await this.cards.addEvent(trx, { cardId, action: 'closed', fromStatus: card.status, toStatus: 'closed', reason: `refunded ${refunded}`, by });
      closed = { card: row, refunded };
      return { statusCode: 200, body: { card: cardView(row), refunded } };
    });
    if (closed && !outcome.replayed) {
      this.events.publish(new CardClosedEvent(closed.card.id, closed.card.uid, closed.card.resident_id, closed.refunded));
    }
    return outcome;
  }

  /** Moves exactly what the wallet holds, under its lock, to the cash desk that hands it over. */
  private async payOutCash(trx: Knex.Transaction, card: CardRow): Promise<string> {
    const ledger = ledgerFor(trx);
    const wallet = cashWalletId(card.resident_id);
    const balance = (await ledger.lockBalances([wallet])).get(wallet)!;
    if (balance.gt(0)) {
      await ledger.postOne({
        id: randomUUID(),
        kind: 'card_close_refund',
        postings: [
          { accountId: wallet, amount: balance.negated() },
          { accountId: CASH_DESK, amount: balance },
        ],
        metadata: { cardId: card.id, residentId: card.resident_id },
      });
    }
    return formatMoney(balance);
  }
}
