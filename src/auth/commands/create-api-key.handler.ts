import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { InjectKnex } from '../../db/database.module';
import { MerchantNotFound } from '../../merchants/merchants.errors';
import { DoorNotFound } from '../../access/access.errors';
import { generateApiKey, hashApiKey, keyPrefix } from '../api-key-secret';
import { ApiKeysRepository } from '../api-keys.repository';
import type { ApiKeyCreatedDto } from '../dto/create-api-key.dto';
import { CreateApiKeyCommand } from './create-api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly keys: ApiKeysRepository,
  ) {}

  async execute(cmd: CreateApiKeyCommand): Promise<ApiKeyCreatedDto> {
    // A binding only makes sense for its own role; refuse it elsewhere rather than store a misleading scope.
    if (cmd.role !== 'merchant' && cmd.merchantId !== undefined) throw new ValidationFailed('merchantId: only for role merchant');
    if (cmd.role !== 'door' && cmd.doorIds !== undefined) throw new ValidationFailed('doorIds: only for role door');

    if (cmd.merchantId !== undefined && !(await this.keys.merchantExists(this.knex, cmd.merchantId))) throw new MerchantNotFound();
    const doorIds = cmd.doorIds ? [...new Set(cmd.doorIds.map((d) => d.toLowerCase()))] : null;
    if (doorIds && (await this.keys.countDoors(this.knex, doorIds)) !== doorIds.length) throw new DoorNotFound();
    const id = randomUUID();
    const key = generateApiKey();
    await this.keys.insert(this.knex, {
      id,
      role: cmd.role,
      name: cmd.name,
      keyHash: hashApiKey(key),
      keyPrefix: keyPrefix(key),
      merchantId: cmd.merchantId ?? null,
      doorIds,
      createdBy: cmd.createdBy,
    });
    return {
      id,
      role: cmd.role,
      name: cmd.name,
      key,
      ...(cmd.merchantId ? { merchantId: cmd.merchantId } : {}),
      ...(doorIds ? { doorIds } : {}),
    };
  }
}
