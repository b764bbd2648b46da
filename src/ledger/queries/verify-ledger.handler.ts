import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { verifyLedger, type VerifyReport } from '../../../ledger/verify';
import { InjectKnex } from '../../db/database.module';
import { KnexAuditSource } from '../knex-audit.source';
import { LedgerSealerService } from '../ledger-sealer.service';
import { VerifyLedgerQuery } from './verify-ledger.query';

@QueryHandler(VerifyLedgerQuery)
export class VerifyLedgerHandler implements IQueryHandler<VerifyLedgerQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly sealer: LedgerSealerService,
  ) {}

  async execute(): Promise<VerifyReport> {
    // Seal first so the report covers everything committed up to now.
    await this.sealer.sealNow();
    // One snapshot for every check, so concurrent payments cannot look like mismatches.
    return this.knex.transaction((trx) => verifyLedger(new KnexAuditSource(trx)), { isolationLevel: 'repeatable read', readOnly: true });
  }
}
