import { Command } from '@nestjs/cqrs';
import type Decimal from 'decimal.js';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';

/** A terminal charging a tapped card. The outcome is 201 approved or 402 declined. */
export class PayCommand extends Command<Outcome> {
  constructor(
    readonly uid: string,
    readonly amount: Decimal,
    readonly description: string | undefined,
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
