import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { assertMerchantScope } from '../../auth/scope';
import { InjectKnex } from '../../db/database.module';
import { paymentView, type PaymentView } from '../payment.view';
import { PaymentNotFound } from '../payments.errors';
import { PaymentsRepository } from '../payments.repository';
import { GetPaymentQuery } from './get-payment.query';

@QueryHandler(GetPaymentQuery)
export class GetPaymentHandler implements IQueryHandler<GetPaymentQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly payments: PaymentsRepository,
  ) {}

  async execute({ paymentId, by }: GetPaymentQuery): Promise<PaymentView> {
    const row = await this.payments.findById(this.knex, paymentId);
    if (!row) throw new PaymentNotFound();
    assertMerchantScope(by, row.merchant_id);
    return paymentView(row);
  }
}
