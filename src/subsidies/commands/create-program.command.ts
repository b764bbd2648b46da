import { Command } from '@nestjs/cqrs';
import type { CreateProgramDto } from '../dto/create-program.dto';
import type { ProgramView } from '../program.view';

export class CreateProgramCommand extends Command<ProgramView> {
  constructor(readonly program: CreateProgramDto) {
    super();
  }
}
