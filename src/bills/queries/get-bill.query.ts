import { Query } from '@nestjs/cqrs';
import type { BillView } from '../bill.view';

export class GetBillQuery extends Query<BillView> {
  constructor(readonly id: string) {
    super();
  }
}
