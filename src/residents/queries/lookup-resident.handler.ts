import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { Secrets } from '../../config/secrets';
import { InjectKnex } from '../../db/database.module';
import { hashIdNumber } from '../id-number';
import { residentView, type ResidentView } from '../resident.view';
import { ResidentsRepository } from '../residents.repository';
import { LookupResidentQuery } from './lookup-resident.query';

/** Exact match through the keyed hash: the number itself is never stored or compared. */
@QueryHandler(LookupResidentQuery)
export class LookupResidentHandler implements IQueryHandler<LookupResidentQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly residents: ResidentsRepository,
    private readonly secrets: Secrets,
  ) {}

  async execute({ idNumber }: LookupResidentQuery): Promise<{ items: ResidentView[] }> {
    const row = await this.residents.findByIdNumberHash(this.knex, hashIdNumber(idNumber, this.secrets.idNumberKey));
    return { items: row ? [residentView(row)] : [] };
  }
}
