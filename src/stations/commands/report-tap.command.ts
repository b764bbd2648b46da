import { Command } from '@nestjs/cqrs';
import type { TapView } from '../tap.view';

export class ReportTapCommand extends Command<TapView> {
  constructor(
    readonly station: string,
    readonly uid: string,
  ) {
    super();
  }
}
