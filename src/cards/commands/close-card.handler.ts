import { randomUUID } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { CASH_DESK, cashWalletId, programAccountId } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { cardView, type CardRow } from '../card.view';
import { CardNotActive } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardClosedEvent } from '../events/card-closed.event';
import { DISBURSEMENT_LOCK } from '../../subsidies/commands/disburse.handler';
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
      if (card.status === 'closed') return { statusCode: 200, body: { card: cardView(card), refunded: '0.00', subsidiesReturned: [] } };
      if (card.status !== 'active' && card.status !== 'locked') throw new CardNotActive(card.status);
      const { refunded, subsidiesReturned } = await this.payOut(trx, card);
      const row = await this.cards.setStatus(trx, card.id, 'closed', card.lock_reason);
      if (card.lock_reason === 'lost' || card.lock_reason === 'stolen') await this.cards.retire(trx, card.uid, card.id, card.lock_reason);
      await this.cards.addEvent(trx, { cardId, action: 'closed', fromStatus: card.status, toStatus: 'closed', reason: `refunded ${refunded}`, by });
      closed = { card: row, refunded };
      return { statusCode: 200, body: { card: cardView(row), refunded, subsidiesReturned } };
    });
    if (closed && !outcome.replayed) {
      this.events.publish(new CardClosedEvent(closed.card.id, closed.card.uid, closed.card.resident_id, closed.refunded));
    }
    return outcome;
  }

  /**
   * Moves exactly what the wallets hold, under their locks: cash to the desk that hands
   * it over, unspent allowance money back to the programs it came from.
   */
  private async payOut(trx: Knex.Transaction, card: CardRow): Promise<{ refunded: string; subsidiesReturned: { programId: string; amount: string }[] }> {
    // Shared with other closes, exclusive with a running disbursement: after it, its lots are visible here.
    await trx.raw('SELECT pg_advisory_xact_lock_shared(?)', [DISBURSEMENT_LOCK]);
    const ledger = ledgerFor(trx);
    const wallet = cashWalletId(card.resident_id);
    const cash = (await ledger.lockBalances([wallet])).get(wallet)!;
    const lots = await trx('subsidy_wallets').where({ resident_id: card.resident_id }).orderBy('account_id').select<{ account_id: string; program_id: string }[]>('account_id', 'program_id');
    const lotBalances = await ledger.lockBalances(lots.map((l) => l.account_id));
    const returned = new Map<string, Decimal>();
    const postings = cash.gt(0) ? [{ accountId: wallet, amount: cash.negated() }, { accountId: CASH_DESK, amount: cash }] : [];
    for (const lot of lots) {
      const left = lotBalances.get(lot.account_id)!;
      if (left.lte(0)) continue;
      postings.push({ accountId: lot.account_id, amount: left.negated() });
      returned.set(lot.program_id, (returned.get(lot.program_id) ?? new Decimal(0)).plus(left));
    }
    for (const [programId, amount] of returned) postings.push({ accountId: programAccountId(programId), amount });
    if (postings.length > 0) {
      await ledger.postOne({ id: randomUUID(), kind: 'card_close_refund', postings, metadata: { cardId: card.id, residentId: card.resident_id } });
    }
    return { refunded: formatMoney(cash), subsidiesReturned: [...returned].map(([programId, amount]) => ({ programId, amount: formatMoney(amount) })) };
  }
}
