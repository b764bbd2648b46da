import { Module } from '@nestjs/common';
import { MerchantsModule } from '../merchants/merchants.module';
import { PayHandler } from './commands/pay.handler';
import { RefundPaymentHandler } from './commands/refund-payment.handler';
import { TopUpHandler } from './commands/top-up.handler';
import { PayRoute } from './pay-route';
import { PaymentBatcher } from './payment-batcher';
import { PaymentsController } from './payments.controller';
import { PaymentsRepository } from './payments.repository';
import { GetPaymentHandler } from './queries/get-payment.handler';
import { ListMerchantPaymentsHandler } from './queries/list-merchant-payments.handler';

@Module({
  imports: [MerchantsModule],
  controllers: [PaymentsController],
  providers: [PaymentsRepository, PaymentBatcher, PayHandler, PayRoute, TopUpHandler, RefundPaymentHandler, GetPaymentHandler, ListMerchantPaymentsHandler],
})
export class PaymentsModule {}
