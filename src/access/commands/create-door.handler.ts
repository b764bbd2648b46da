import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { AccessRepository } from '../access.repository';
import { doorView, type DoorView } from '../door.view';
import { CreateDoorCommand } from './create-door.command';

@CommandHandler(CreateDoorCommand)
export class CreateDoorHandler implements ICommandHandler<CreateDoorCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly doors: AccessRepository,
  ) {}

  async execute(cmd: CreateDoorCommand): Promise<DoorView> {
    const row = await this.doors.insertDoor(this.knex, { id: randomUUID(), name: cmd.name, community: cmd.community, building: cmd.building });
    return doorView(row);
  }
}
