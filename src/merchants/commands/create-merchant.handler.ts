import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { merchantAccount } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { merchantView, type MerchantView } from '../merchant.view';
import { MerchantsRepository } from '../merchants.repository';
import { CreateMerchantCommand } from './create-merchant.command';

/** A merchant and its ledger account are created together, so a payment always has somewhere to go. */
@CommandHandler(CreateMerchantCommand)
export class CreateMerchantHandler implements ICommandHandler<CreateMerchantCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly merchants: MerchantsRepository,
  ) {}

  async execute({ name, category }: CreateMerchantCommand): Promise<MerchantView> {
    const row = await inTransaction(this.knex, async (trx) => {
      const merchant = await this.merchants.insert(trx, { id: randomUUID(), name, category });
      await ledgerFor(trx).openAccounts([merchantAccount(merchant.id)]);
      return merchant;
    });
    return merchantView(row);
  }
}
