import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { assertMerchantScope } from '../../auth/scope';
import { InjectKnex } from '../../db/database.module';
import { merchantView, type MerchantView } from '../merchant.view';
import { MerchantNotFound } from '../merchants.errors';
import { MerchantsRepository } from '../merchants.repository';
import { GetMerchantQuery } from './get-merchant.query';

@QueryHandler(GetMerchantQuery)
export class GetMerchantHandler implements IQueryHandler<GetMerchantQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly merchants: MerchantsRepository,
  ) {}

  async execute({ merchantId, by }: GetMerchantQuery): Promise<MerchantView> {
    assertMerchantScope(by, merchantId);
    const row = await this.merchants.findById(this.knex, merchantId);
    if (!row) throw new MerchantNotFound();
    return merchantView(row);
  }
}
