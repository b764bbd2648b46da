import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { projectView, type ProjectView } from '../donation.view';
import { DonationsRepository } from '../donations.repository';
import { ListProjectsQuery } from './list-projects.query';

/** The projects a desk can offer a donor, newest first. */
@QueryHandler(ListProjectsQuery)
export class ListProjectsHandler implements IQueryHandler<ListProjectsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
  ) {}

  async execute({ limit, cursor }: ListProjectsQuery): Promise<Page<ProjectView>> {
    const before = decodeCursor(cursor, isIdCursor);
    const rows = await this.donations.listProjects(this.knex, before?.id, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(projectView), nextCursor: rows.length === limit && last ? encodeCursor({ id: last.seq }) : null };
  }
}
