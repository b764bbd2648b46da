import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { InjectKnex } from '../../db/database.module';
import { ResidentNotFound } from '../../residents/residents.errors';
import { DoorNotFound } from '../access.errors';
import { AccessRepository } from '../access.repository';
import { grantView, type GrantView } from '../door.view';
import { parseHhMm } from '../windows';
import { GrantAccessCommand } from './grant-access.command';

@CommandHandler(GrantAccessCommand)
export class GrantAccessHandler implements ICommandHandler<GrantAccessCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
  ) {}

  async execute(cmd: GrantAccessCommand): Promise<GrantView> {
    if (cmd.validFrom !== null && cmd.validUntil !== null && cmd.validUntil < cmd.validFrom) {
      throw new ValidationFailed('validUntil must not be before validFrom');
    }
    const hours = cmd.hours && { from: parseHhMm(cmd.hours.from)!, to: parseHhMm(cmd.hours.to)! };
    if (hours && hours.from === hours.to) throw new ValidationFailed('hours.from and hours.to must differ (omit hours for all day)');

    if (!(await this.repo.findDoor(this.knex, cmd.doorId))) throw new DoorNotFound();
    if (!(await this.repo.residentExists(this.knex, cmd.residentId))) throw new ResidentNotFound();
    const row = await this.repo.insertGrant(this.knex, {
      id: randomUUID(),
      door_id: cmd.doorId,
      resident_id: cmd.residentId,
      valid_from: cmd.validFrom,
      valid_until: cmd.validUntil,
      hours_from: hours?.from ?? null,
      hours_to: hours?.to ?? null,
      api_key_id: cmd.by.keyId,
    });
    return grantView(row);
  }
}
