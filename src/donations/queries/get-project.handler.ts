import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { projectView, type ProjectView } from '../donation.view';
import { ProjectNotFound } from '../donations.errors';
import { DonationsRepository } from '../donations.repository';
import { GetProjectQuery } from './get-project.query';

@QueryHandler(GetProjectQuery)
export class GetProjectHandler implements IQueryHandler<GetProjectQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
  ) {}

  async execute({ id }: GetProjectQuery): Promise<ProjectView> {
    const row = await this.donations.findProject(this.knex, id);
    if (!row) throw new ProjectNotFound();
    return projectView(row);
  }
}
