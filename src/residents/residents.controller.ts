import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ChangesAccess } from '../access/changes-access';
import { Roles } from '../auth/roles';
import { uuidParam } from '../common/uuid.param';
import { RegisterResidentCommand } from './commands/register-resident.command';
import { UpdateResidentCommand } from './commands/update-resident.command';
import { LookupResidentDto } from './dto/lookup-resident.dto';
import { RegisterResidentDto } from './dto/register-resident.dto';
import { UpdateResidentDto } from './dto/update-resident.dto';
import { GetResidentQuery } from './queries/get-resident.query';
import { LookupResidentQuery } from './queries/lookup-resident.query';
import type { ResidentView } from './resident.view';

@ApiTags('residents')
@ApiBearerAuth()
@Controller('v1/residents')
@Roles('admin', 'operator')
export class ResidentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  register(@Body() dto: RegisterResidentDto): Promise<ResidentView> {
    return this.commands.execute(new RegisterResidentCommand(dto));
  }

  /** A POST, so the ID number never appears in a URL or an access log. */
  @Post('lookup')
  @HttpCode(200)
  lookup(@Body() dto: LookupResidentDto): Promise<{ items: ResidentView[] }> {
    return this.queries.execute(new LookupResidentQuery(dto.idNumber));
  }

  @Get(':id')
  get(@Param('id', uuidParam) id: string): Promise<ResidentView> {
    return this.queries.execute(new GetResidentQuery(id));
  }

  @Patch(':id')
  @ChangesAccess()
  update(@Param('id', uuidParam) id: string, @Body() dto: UpdateResidentDto): Promise<ResidentView> {
    return this.commands.execute(new UpdateResidentCommand(id, dto));
  }
}
