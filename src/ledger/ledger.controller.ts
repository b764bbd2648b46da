import { Controller, Get, Query as QueryParams } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { VerifyReport } from '../../ledger/verify';
import { PageQuery, type Page } from '../common/pagination';
import { Roles } from '../auth/roles';
import { ListLedgerTransactionsQuery, type LedgerTransactionView } from './queries/list-ledger-transactions.query';
import { VerifyLedgerQuery } from './queries/verify-ledger.query';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/ledger')
export class LedgerController {
  constructor(private readonly queries: QueryBus) {}

  @Get('verify')
  @Roles('auditor', 'admin')
  verify(): Promise<VerifyReport> {
    return this.queries.execute(new VerifyLedgerQuery());
  }

  @Get('transactions')
  @Roles('auditor', 'admin')
  transactions(@QueryParams() page: PageQuery): Promise<Page<LedgerTransactionView>> {
    return this.queries.execute(new ListLedgerTransactionsQuery(page.limit, page.cursor));
  }
}
