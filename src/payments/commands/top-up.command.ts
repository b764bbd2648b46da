import { Command } from '@nestjs/cqrs';
import type Decimal from 'decimal.js';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';

export interface TopUpDone {
  id: string;
  cardId: string;
  amount: string;
  method: string;
  balance: { cash: string };
  createdAt: string;
}

export class TopUpCommand extends Command<Outcome<TopUpDone>> {
  constructor(
    readonly cardId: string,
    readonly amount: Decimal,
    readonly method: 'cash' | 'bank_card' | 'mobile',
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
