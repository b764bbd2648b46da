import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { ResidentNotFound } from '../../residents/residents.errors';
import { ResidentsRepository } from '../../residents/residents.repository';
import { billView, shanghaiDate, type BillView } from '../bill.view';
import { BillsRepository } from '../bills.repository';
import { ListResidentBillsQuery } from './list-resident-bills.query';

/** What the desk shows a resident at the counter: their bills, newest first, each flagged when overdue. */
@QueryHandler(ListResidentBillsQuery)
export class ListResidentBillsHandler implements IQueryHandler<ListResidentBillsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly bills: BillsRepository,
    private readonly residents: ResidentsRepository,
  ) {}

  async execute({ residentId, status, limit, cursor }: ListResidentBillsQuery): Promise<Page<BillView>> {
    const before = decodeCursor(cursor, isIdCursor);
    if (!(await this.residents.findById(this.knex, residentId))) throw new ResidentNotFound();
    const rows = await this.bills.listForResident(this.knex, residentId, status, before?.id, limit);
    const today = shanghaiDate();
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => billView(r, today)), nextCursor: rows.length === limit && last ? encodeCursor({ id: last.seq }) : null };
  }
}
