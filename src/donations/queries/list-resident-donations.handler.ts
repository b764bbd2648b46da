import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { ResidentNotFound } from '../../residents/residents.errors';
import { ResidentsRepository } from '../../residents/residents.repository';
import { donationView, type DonationView } from '../donation.view';
import { DonationsRepository } from '../donations.repository';
import { ListResidentDonationsQuery } from './list-resident-donations.query';

/** A resident's giving history, newest first. */
@QueryHandler(ListResidentDonationsQuery)
export class ListResidentDonationsHandler implements IQueryHandler<ListResidentDonationsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
    private readonly residents: ResidentsRepository,
  ) {}

  async execute({ residentId, limit, cursor }: ListResidentDonationsQuery): Promise<Page<DonationView>> {
    const before = decodeCursor(cursor, isIdCursor);
    if (!(await this.residents.findById(this.knex, residentId))) throw new ResidentNotFound();
    const rows = await this.donations.listForResident(this.knex, residentId, before?.id, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(donationView), nextCursor: rows.length === limit && last ? encodeCursor({ id: last.seq }) : null };
  }
}
