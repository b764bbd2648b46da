import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { donationView, type DonationView } from '../donation.view';
import { DonationNotFound } from '../donations.errors';
import { DonationsRepository } from '../donations.repository';
import { GetDonationQuery } from './get-donation.query';

@QueryHandler(GetDonationQuery)
export class GetDonationHandler implements IQueryHandler<GetDonationQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
  ) {}

  async execute({ id }: GetDonationQuery): Promise<DonationView> {
    const row = await this.donations.findDonation(this.knex, id);
    if (!row) throw new DonationNotFound();
    return donationView(row);
  }
}
