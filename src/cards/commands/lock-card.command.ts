import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { CardView, LockReason } from '../card.view';

export class LockCardCommand extends Command<CardView> {
  constructor(
    readonly cardId: string,
    readonly reason: LockReason,
    readonly by: Principal,
  ) {
    super();
  }
}
