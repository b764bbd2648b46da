import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { DonationView } from '../donation.view';

export class ListResidentDonationsQuery extends Query<Page<DonationView>> {
  constructor(
    readonly residentId: string,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
