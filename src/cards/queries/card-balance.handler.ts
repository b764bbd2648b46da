import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
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
    // Spendable allowance lots only: expired money is no longer the resident's, whatever the sweep has done yet.
    const { rows } = await this.knex.raw<{ rows: { program_id: string; name: string; balance: string; expires_at: Date }[] }>(
      `SELECT w.program_id, p.name, b.balance::text AS balance, w.expires_at
       FROM subsidy_wallets w JOIN subsidy_programs p ON p.id = w.program_id
       JOIN ledger_balances b ON b.account_id = w.account_id AND b.shard = 0
       WHERE w.resident_id = ? AND w.expires_at > now() AND b.balance > 0 ORDER BY w.expires_at, w.account_id`,
      [card.resident_id],
    );
    const subsidies = rows.map((r) => ({ programId: r.program_id, name: r.name, balance: formatMoney(new Decimal(r.balance)), expiresAt: r.expires_at.toISOString() }));
    const total = rows.reduce((sum, r) => sum.plus(r.balance), cash);
    return { cash: formatMoney(cash), subsidies, total: formatMoney(total) };
  }
}
