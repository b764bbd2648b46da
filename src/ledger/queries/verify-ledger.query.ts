import { Query } from '@nestjs/cqrs';
import type { VerifyReport } from '../../../ledger/verify';

export class VerifyLedgerQuery extends Query<VerifyReport> {}
