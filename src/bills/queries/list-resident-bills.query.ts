import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { BillView } from '../bill.view';

export class ListResidentBillsQuery extends Query<Page<BillView>> {
  constructor(
    readonly residentId: string,
    readonly status: 'unpaid' | 'paid' | undefined,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
