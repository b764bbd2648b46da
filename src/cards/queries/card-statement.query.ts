import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { StatementLine } from '../../ledger/statement';

export class CardStatementQuery extends Query<Page<StatementLine>> {
  constructor(
    readonly cardId: string,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
