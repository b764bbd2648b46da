import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { billView, type BillView } from '../bill.view';
import { BillNotFound } from '../bills.errors';
import { BillsRepository } from '../bills.repository';
import { GetBillQuery } from './get-bill.query';

@QueryHandler(GetBillQuery)
export class GetBillHandler implements IQueryHandler<GetBillQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly bills: BillsRepository,
  ) {}

  async execute({ id }: GetBillQuery): Promise<BillView> {
    const row = await this.bills.findById(this.knex, id);
    if (!row) throw new BillNotFound();
    return billView(row);
  }
}
