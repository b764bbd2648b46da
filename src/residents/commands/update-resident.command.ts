import { Command } from '@nestjs/cqrs';
import type { UpdateResidentDto } from '../dto/update-resident.dto';
import type { ResidentView } from '../resident.view';

export class UpdateResidentCommand extends Command<ResidentView> {
  constructor(
    readonly residentId: string,
    readonly changes: UpdateResidentDto,
  ) {
    super();
  }
}
