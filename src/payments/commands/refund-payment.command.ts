import { Command } from '@nestjs/cqrs';
import type Decimal from 'decimal.js';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';

export interface RefundDone {
  id: string;
  paymentId: string;
  amount: string;
  funding: { wallet: string; programId?: string; amount: string; returnedToProgram?: boolean }[];
  createdAt: string;
}

export class RefundPaymentCommand extends Command<Outcome<RefundDone>> {
  constructor(
    readonly paymentId: string,
    /** Absent: everything not yet refunded. */
    readonly amount: Decimal | undefined,
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
