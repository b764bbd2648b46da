import { Command } from '@nestjs/cqrs';
import type { SweepResult } from '../sweep';

export class SweepCommand extends Command<SweepResult> {
  constructor(readonly programId: string) {
    super();
  }
}
