import { Query } from '@nestjs/cqrs';
import type { DonationView } from '../donation.view';

export class GetDonationQuery extends Query<DonationView> {
  constructor(readonly id: string) {
    super();
  }
}
