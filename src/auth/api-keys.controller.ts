import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.param';
import { CreateApiKeyCommand } from './commands/create-api-key.command';
import { RevokeApiKeyCommand } from './commands/revoke-api-key.command';
import { ApiKeyCreatedDto, CreateApiKeyDto } from './dto/create-api-key.dto';
import { CurrentPrincipal, type Principal } from './principal';
import { Roles } from './roles';

@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateApiKeyDto, @CurrentPrincipal() by: Principal): Promise<ApiKeyCreatedDto> {
    return this.commands.execute(new CreateApiKeyCommand(dto.role, dto.name, dto.merchantId, dto.doorIds, by.keyId));
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  async revoke(@Param('id', uuidParam) id: string, @CurrentPrincipal() by: Principal): Promise<void> {
    await this.commands.execute(new RevokeApiKeyCommand(id, by.keyId));
  }
}
