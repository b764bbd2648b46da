import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { InjectKnex } from '../../db/database.module';
import { ResidentUpdatedEvent } from '../events/resident-updated.event';
import { ResidentPii } from '../resident-pii';
import { residentView, type ResidentView } from '../resident.view';
import { ResidentNotFound } from '../residents.errors';
import { ResidentsRepository } from '../residents.repository';
import { UpdateResidentCommand } from './update-resident.command';

@CommandHandler(UpdateResidentCommand)
export class UpdateResidentHandler implements ICommandHandler<UpdateResidentCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly residents: ResidentsRepository,
    private readonly events: EventBus,
    private readonly pii: ResidentPii,
  ) {}

  async execute({ residentId, changes }: UpdateResidentCommand): Promise<ResidentView> {
    const changed = (['phone', 'address', 'tags'] as const).filter((f) => changes[f] !== undefined);
    if (changed.length === 0) throw new ValidationFailed('body: give at least one of phone, address, tags');
    if (!(await this.residents.update(this.knex, residentId, changes))) throw new ResidentNotFound();
    this.events.publish(new ResidentUpdatedEvent(residentId, changed));
    return residentView((await this.residents.findById(this.knex, residentId))!, this.pii);
  }
}
