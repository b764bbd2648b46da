import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Outcome } from '../../common/idempotency';
import { PaymentBatcher } from '../payment-batcher';
import { PayCommand } from './pay.command';

@CommandHandler(PayCommand)
export class PayHandler implements ICommandHandler<PayCommand> {
  constructor(private readonly batcher: PaymentBatcher) {}

  execute({ uid, amount, description, idempotency, by }: PayCommand): Promise<Outcome> {
    // The route admits merchant keys only, and every merchant key is bound to its merchant.
    const merchantId = by.merchantId!;
    return this.batcher.submit({ uid, amount, description, idempotency, by: { ...by, merchantId } });
  }
}
