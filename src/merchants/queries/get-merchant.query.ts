import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { MerchantView } from '../merchant.view';

export class GetMerchantQuery extends Query<MerchantView> {
  constructor(
    readonly merchantId: string,
    readonly by: Principal,
  ) {
    super();
  }
}
