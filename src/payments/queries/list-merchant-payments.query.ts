import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { Page } from '../../common/pagination';
import type { PaymentView } from '../payment.view';
import type { MerchantDayFilter, MerchantTotals } from '../payments.repository';

export class ListMerchantPaymentsQuery extends Query<Page<PaymentView> & { totals: MerchantTotals }> {
  constructor(
    readonly filter: MerchantDayFilter,
    readonly limit: number,
    readonly cursor: string | undefined,
    readonly by: Principal,
  ) {
    super();
  }
}
