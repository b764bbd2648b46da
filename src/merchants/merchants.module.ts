import { Module } from '@nestjs/common';
import { CreateMerchantHandler } from './commands/create-merchant.handler';
import { MerchantsController } from './merchants.controller';
import { MerchantsRepository } from './merchants.repository';
import { GetMerchantHandler } from './queries/get-merchant.handler';

@Module({
  controllers: [MerchantsController],
  providers: [MerchantsRepository, CreateMerchantHandler, GetMerchantHandler],
  exports: [MerchantsRepository],
})
export class MerchantsModule {}
