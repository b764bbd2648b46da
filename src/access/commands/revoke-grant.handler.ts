import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { GrantNotFound } from '../access.errors';
import { AccessRepository } from '../access.repository';
import { RevokeGrantCommand } from './revoke-grant.command';

/** Revoking twice is the same as once: the grant stays revoked as of the first time. */
@CommandHandler(RevokeGrantCommand)
export class RevokeGrantHandler implements ICommandHandler<RevokeGrantCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
  ) {}

  async execute(cmd: RevokeGrantCommand): Promise<void> {
    await this.knex.transaction(async (trx) => {
      if (!(await this.repo.findGrant(trx, cmd.doorId, cmd.grantId, 'update'))) throw new GrantNotFound();
      await this.repo.revokeGrant(trx, cmd.grantId, cmd.by.keyId);
    });
  }
}
