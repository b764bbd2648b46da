import { Command } from '@nestjs/cqrs';
import type Decimal from 'decimal.js';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';
import type { DonationView } from '../donation.view';

export type Donated = DonationView & { balance: { cash: string } };

export class DonateCommand extends Command<Outcome<Donated>> {
  constructor(
    readonly cardId: string,
    readonly projectId: string,
    readonly amount: Decimal,
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
