import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';
import type { CardView } from '../card.view';

export interface CardClosed {
  card: CardView;
  /** Cash paid out to the resident at the desk, e.g. "12.50". */
  refunded: string;
  /** Unspent allowance money returned to each program. */
  subsidiesReturned: { programId: string; amount: string }[];
}

export class CloseCardCommand extends Command<Outcome<CardClosed>> {
  constructor(
    readonly cardId: string,
    readonly idempotency: IdempotentRequest,
    readonly by: Principal,
  ) {
    super();
  }
}
