import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { CardView } from '../card.view';

export class ReplaceCardCommand extends Command<CardView> {
  constructor(
    readonly cardId: string,
    readonly uid: string,
    readonly reason: 'lost' | 'stolen' | 'damaged',
    readonly by: Principal,
  ) {
    super();
  }
}
