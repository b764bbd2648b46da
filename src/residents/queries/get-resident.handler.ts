import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { ResidentPii } from '../resident-pii';
import { residentView, type ResidentView } from '../resident.view';
import { ResidentNotFound } from '../residents.errors';
import { ResidentsRepository } from '../residents.repository';
import { GetResidentQuery } from './get-resident.query';

@QueryHandler(GetResidentQuery)
export class GetResidentHandler implements IQueryHandler<GetResidentQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly residents: ResidentsRepository,
    private readonly pii: ResidentPii,
  ) {}

  async execute({ residentId }: GetResidentQuery): Promise<ResidentView> {
    const row = await this.residents.findById(this.knex, residentId);
    if (!row) throw new ResidentNotFound();
    return residentView(row, this.pii);
  }
}
