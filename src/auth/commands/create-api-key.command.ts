import { Command } from '@nestjs/cqrs';
import type { ApiKeyCreatedDto } from '../dto/create-api-key.dto';
import type { Role } from '../roles';

export class CreateApiKeyCommand extends Command<ApiKeyCreatedDto> {
  constructor(
    readonly role: Role,
    readonly name: string,
    readonly merchantId: string | undefined,
    readonly doorIds: string[] | undefined,
    readonly createdBy: string,
  ) {
    super();
  }
}
