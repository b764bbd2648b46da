import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { decodeCursor, encodeCursor, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { auditEventView, type AuditEventView } from '../audit-event.view';
import { AuditRepository, type AuditFilter } from '../audit.repository';
import { ListAuditEventsQuery } from './list-audit-events.query';

/**
 * Newest first, paged by event id (the order events were written in). A cursor stays
 * valid while events keep arriving: later ones are above it, never on a next page.
 */
@QueryHandler(ListAuditEventsQuery)
export class ListAuditEventsHandler implements IQueryHandler<ListAuditEventsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AuditRepository,
  ) {}

  async execute(q: ListAuditEventsQuery): Promise<Page<AuditEventView>> {
    const before = decodeCursor(q.cursor, isIdCursor)?.id;
    const filter: AuditFilter = { keyId: q.filter.keyId, outcome: q.filter.outcome, resourceId: q.filter.resourceId };
    if (q.filter.from !== undefined) filter.from = new Date(q.filter.from);
    if (q.filter.to !== undefined) filter.to = new Date(q.filter.to);
    if (filter.from && filter.to && filter.from > filter.to) throw new ValidationFailed('from must not be later than to');
    if (q.filter.action !== undefined) {
      const space = q.filter.action.indexOf(' ');
      if (space < 0) filter.route = q.filter.action;
      else [filter.method, filter.route] = [q.filter.action.slice(0, space), q.filter.action.slice(space + 1)];
    }
    const rows = await this.repo.list(this.knex, filter, before, q.limit + 1);
    const items = rows.slice(0, q.limit).map(auditEventView);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor({ id: items.at(-1)!.id }) : null };
  }
}
