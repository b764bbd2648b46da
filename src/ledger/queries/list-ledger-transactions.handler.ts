import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { decodeCursor, encodeCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { KnexAuditSource } from '../knex-audit.source';
import { ListLedgerTransactionsQuery, type LedgerTransactionView } from './list-ledger-transactions.query';

const MAX_POSITION = 9223372036854775807n; // PostgreSQL's bigint

const isPosition = (v: unknown): v is { after: string } => {
  const after = (v as { after?: unknown } | null)?.after;
  return typeof after === 'string' && /^[0-9]{1,19}$/.test(after) && BigInt(after) <= MAX_POSITION;
};

/**
 * Lists transactions in chain order: the order in which they were sealed, which never
 * changes once written, so cursors stay stable while payments keep arriving. A
 * transaction appears here once sealed, within a second of its commit.
 */
@QueryHandler(ListLedgerTransactionsQuery)
export class ListLedgerTransactionsHandler implements IQueryHandler<ListLedgerTransactionsQuery> {
  constructor(@InjectKnex() private readonly knex: Knex) {}

  async execute(q: ListLedgerTransactionsQuery): Promise<Page<LedgerTransactionView>> {
    const after = decodeCursor(q.cursor, isPosition)?.after ?? '0';
    const page = await new KnexAuditSource(this.knex).chainPage(after, q.limit);
    const items = page.flatMap(({ link, transaction: t }) =>
      t ? [{ id: t.id, kind: t.kind, createdAt: t.createdAt, metadata: t.metadata, postings: t.entries, position: link.position, hash: link.hash }] : [],
    );
    const last = page[page.length - 1];
    return { items, nextCursor: page.length === q.limit && last ? encodeCursor({ after: last.link.position }) : null };
  }
}
