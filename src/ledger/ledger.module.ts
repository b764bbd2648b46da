import { Module } from '@nestjs/common';
import { LedgerController } from './ledger.controller';
import { LedgerSealerService } from './ledger-sealer.service';
import { ListLedgerTransactionsHandler } from './queries/list-ledger-transactions.handler';
import { VerifyLedgerHandler } from './queries/verify-ledger.handler';

@Module({
  controllers: [LedgerController],
  providers: [LedgerSealerService, VerifyLedgerHandler, ListLedgerTransactionsHandler],
  exports: [LedgerSealerService],
})
export class LedgerModule {}
