import { Command } from '@nestjs/cqrs';
import type { RegisterResidentDto } from '../dto/register-resident.dto';
import type { ResidentView } from '../resident.view';

export class RegisterResidentCommand extends Command<ResidentView> {
  constructor(readonly resident: RegisterResidentDto) {
    super();
  }
}
