import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { cashWalletId } from '../../ledger/accounts';
import { KnexLedgerStore } from '../../ledger/knex-ledger.store';
import { CardNotFound } from '../cards.errors';
import { CardsRepository } from '../cards.repository';
import { CardBalanceQuery, type CardBalance } from './card-balance.query';

@QueryHandler(CardBalanceQuery)
export class CardBalanceHandler implements IQueryHandler<CardBalanceQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
  ) {}

  async execute({ cardId }: CardBalanceQuery): Promise<CardBalance> {
    const card = await this.cards.findById(this.knex, cardId);
    if (!card) throw new CardNotFound();
    const wallet = cashWalletId(card.resident_id);
    const cash = (await new KnexLedgerStore(this.knex).balances([wallet])).get(wallet)!;
    // Subsidy wallets arrive with the subsidy programs; until then the total is the cash.
    return { cash: formatMoney(cash), subsidies: [], total: formatMoney(cash) };
  }
}
