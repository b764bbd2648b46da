import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { PaymentView } from '../payment.view';

export class GetPaymentQuery extends Query<PaymentView> {
  constructor(
    readonly paymentId: string,
    readonly by: Principal,
  ) {
    super();
  }
}
