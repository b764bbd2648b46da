import { randomUUID } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { InjectKnex } from '../../db/database.module';
import { ResidentRegisteredEvent } from '../events/resident-registered.event';
import { birthDateOf } from '../id-number';
import { ResidentPii } from '../resident-pii';
import { residentView, type ResidentView } from '../resident.view';
import { ResidentExists } from '../residents.errors';
import { ResidentsRepository } from '../residents.repository';
import { RegisterResidentCommand } from './register-resident.command';

@CommandHandler(RegisterResidentCommand)
export class RegisterResidentHandler implements ICommandHandler<RegisterResidentCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly residents: ResidentsRepository,
    private readonly pii: ResidentPii,
    private readonly events: EventBus,
  ) {}

  async execute({ resident: r }: RegisterResidentCommand): Promise<ResidentView> {
    if (birthDateOf(r.idNumber) !== r.birthDate) throw new ValidationFailed('birthDate: does not match the birth date in idNumber');
    const id = randomUUID();
    const inserted = await this.residents.insert(this.knex, {
      id,
      name: r.name,
      idNumber: r.idNumber,
      birthDate: r.birthDate,
      phone: r.phone ?? null,
      address: r.address,
      tags: r.tags ?? [],
    });
    if (!inserted) throw new ResidentExists();
    this.events.publish(new ResidentRegisteredEvent(id));
    return residentView((await this.residents.findById(this.knex, id))!, this.pii);
  }
}
