import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';
import type { Payee } from '../bill-accounts';

export interface BillPaid {
  id: string;
  billId: string;
  status: 'paid';
  amount: string;
  cardId: string;
  residentId: string;
  payee: Payee;
  reference: string;
  transactionId: string;
  balance: { cash: string };
  createdAt: string;
}

export class PayBillCommand extends Command<Outcome<BillPaid>> {
  constructor(
    readonly billId: string,
    readonly cardId: string,
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
