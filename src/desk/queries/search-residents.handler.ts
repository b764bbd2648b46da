import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { ResidentPii } from '../../residents/resident-pii';
import { residentView, type ResidentRow, type ResidentView } from '../../residents/resident.view';
import { RESIDENT_COLUMNS } from '../../residents/residents.repository';
import { SearchResidentsQuery } from './search-residents.query';

/** A desk answers a person standing in front of it: a short list is enough, and keeps a vague search cheap. */
const LIMIT = 20;

/**
 * Residents whose name contains the text, exact matches first. Staff may only know a
 * given name (秀英), so this is a substring match; the table has no index for it, which
 * a community-sized register (about 10^5 residents) scans in milliseconds.
 */
@QueryHandler(SearchResidentsQuery)
export class SearchResidentsHandler implements IQueryHandler<SearchResidentsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly pii: ResidentPii,
  ) {}

  async execute({ name }: SearchResidentsQuery): Promise<{ items: ResidentView[] }> {
    const text = name.trim();
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.knex('residents')
      .whereRaw("name LIKE ? ESCAPE '\\'", [pattern])
      .orderByRaw('(name = ?) DESC, name, id', [text])
      .limit(LIMIT)
      .select<ResidentRow[]>(RESIDENT_COLUMNS);
    return { items: rows.map((r) => residentView(r, this.pii)) };
  }
}
