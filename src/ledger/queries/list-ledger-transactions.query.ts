import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';

export interface LedgerTransactionView {
  id: string;
  kind: string;
  createdAt: string;
  metadata: Record<string, unknown>;
  postings: { accountId: string; amount: string }[];
  position: string;
  hash: string;
}

export class ListLedgerTransactionsQuery extends Query<Page<LedgerTransactionView>> {
  constructor(
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
