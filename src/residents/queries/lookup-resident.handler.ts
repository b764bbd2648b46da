import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { ResidentPii } from '../resident-pii';
import { residentView, type ResidentView } from '../resident.view';
import { ResidentsRepository } from '../residents.repository';
import { LookupResidentQuery } from './lookup-resident.query';

/** Exact match through the keyed hash: the number is stored only encrypted and never compared. */
@QueryHandler(LookupResidentQuery)
export class LookupResidentHandler implements IQueryHandler<LookupResidentQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly residents: ResidentsRepository,
    private readonly pii: ResidentPii,
  ) {}

  async execute({ idNumber }: LookupResidentQuery): Promise<{ items: ResidentView[] }> {
    const row = await this.residents.findByIdNumber(this.knex, idNumber);
    return { items: row ? [residentView(row, this.pii)] : [] };
  }
}
