import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { ApiKeysRepository } from '../api-keys.repository';
import { ApiKeyNotFound } from '../auth.errors';
import { ApiKeyRevokedEvent } from '../events/api-key-revoked.event';
import { PrincipalCache } from '../principal-cache';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly keys: ApiKeysRepository,
    private readonly events: EventBus,
    private readonly cache: PrincipalCache,
  ) {}

  async execute(cmd: RevokeApiKeyCommand): Promise<void> {
    if (!(await this.keys.revoke(this.knex, cmd.id))) throw new ApiKeyNotFound();
    this.cache.forget(cmd.id);
    this.events.publish(new ApiKeyRevokedEvent(cmd.id, cmd.revokedBy));
  }
}
