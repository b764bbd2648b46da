import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { CardView } from '../card.view';

export class UnlockCardCommand extends Command<CardView> {
  constructor(
    readonly cardId: string,
    readonly by: Principal,
  ) {
    super();
  }
}
