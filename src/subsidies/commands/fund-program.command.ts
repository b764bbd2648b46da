import { Command } from '@nestjs/cqrs';
import type Decimal from 'decimal.js';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';

export class FundProgramCommand extends Command<Outcome> {
  constructor(
    readonly programId: string,
    readonly amount: Decimal,
    readonly idempotency: IdempotentRequest,
  ) {
    super();
  }
}
