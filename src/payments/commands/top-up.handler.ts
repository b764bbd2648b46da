import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { CardNotActive, CardNotFound } from '../../cards/cards.errors';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { AppConfig } from '../../config/app-config';
import { CASH_DESK, cashWalletId } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { BalanceLimitExceeded } from '../payments.errors';
import { type TopUpDone, TopUpCommand } from './top-up.command';

/** 充值: cash in at the desk, up to the stored-value cap. */
@CommandHandler(TopUpCommand)
export class TopUpHandler implements ICommandHandler<TopUpCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly config: AppConfig,
  ) {}

  execute(cmd: TopUpCommand): Promise<Outcome<TopUpDone>> {
    return this.idempotency.run(cmd.idempotency, async (trx) => ({ statusCode: 201, body: await this.topUp(trx, cmd) }));
  }

  private async topUp(trx: Knex.Transaction, { cardId, amount, method, by }: TopUpCommand): Promise<TopUpDone> {
    // FOR SHARE: a card being closed right now finishes first, so no money lands in a closed card's wallet.
    const card = await trx('cards').where({ id: cardId }).forShare().first<{ resident_id: string; status: string } | undefined>('resident_id', 'status');
    if (!card) throw new CardNotFound();
    if (card.status !== 'active') throw new CardNotActive(card.status);
    const ledger = ledgerFor(trx);
    const wallet = cashWalletId(card.resident_id);
    const after = (await ledger.lockBalances([wallet])).get(wallet)!.plus(amount);
    if (after.gt(new Decimal(this.config.cashBalanceCap))) throw new BalanceLimitExceeded(formatMoney(new Decimal(this.config.cashBalanceCap)));
    const id = randomUUID();
    const transactionId = randomUUID();
    await ledger.postOne({
      id: transactionId,
      kind: 'top_up',
      postings: [
        { accountId: CASH_DESK, amount: amount.negated() },
        { accountId: wallet, amount },
      ],
      metadata: { topUpId: id, cardId, method },
    });
    const [row] = await trx('top_ups')
      .insert({ id, card_id: cardId, resident_id: card.resident_id, amount: formatMoney(amount), method, transaction_id: transactionId, api_key_id: by.keyId })
      .returning('created_at');
    return { id, cardId, amount: formatMoney(amount), method, balance: { cash: formatMoney(after) }, createdAt: (row.created_at as Date).toISOString() };
  }
}
