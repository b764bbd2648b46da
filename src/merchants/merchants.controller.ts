import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { uuidParam } from '../common/uuid.param';
import { CreateMerchantCommand } from './commands/create-merchant.command';
import { CreateMerchantDto } from './dto/create-merchant.dto';
import type { MerchantView } from './merchant.view';
import { GetMerchantQuery } from './queries/get-merchant.query';

@ApiTags('money')
@ApiBearerAuth()
@Controller('v1/merchants')
export class MerchantsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateMerchantDto): Promise<MerchantView> {
    return this.commands.execute(new CreateMerchantCommand(dto.name, dto.category));
  }

  @Get(':id')
  @Roles('admin', 'auditor', 'operator', 'merchant')
  get(@Param('id', uuidParam) id: string, @CurrentPrincipal() by: Principal): Promise<MerchantView> {
    return this.queries.execute(new GetMerchantQuery(id, by));
  }
}
