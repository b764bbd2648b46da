import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { CardView } from '../card.view';

export class IssueCardCommand extends Command<CardView> {
  constructor(
    readonly residentId: string,
    readonly uid: string,
    readonly by: Principal,
  ) {
    super();
  }
}
