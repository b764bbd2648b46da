import { Body, Controller, Get, Param, Post, Query as QueryParams } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { PageQuery, type Page } from '../common/pagination';
import { uuidParam } from '../common/uuid.param';
import { CreateProjectCommand } from './commands/create-project.command';
import type { ProjectView } from './donation.view';
import { CreateProjectDto } from './dto/donation-requests.dto';
import { GetProjectQuery } from './queries/get-project.query';
import { ListProjectsQuery } from './queries/list-projects.query';

@ApiTags('donations')
@ApiBearerAuth()
@Controller('v1/charity-projects')
export class CharityProjectsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateProjectDto, @CurrentPrincipal() by: Principal): Promise<ProjectView> {
    return this.commands.execute(new CreateProjectCommand(dto.name, dto.goal, by));
  }

  @Get()
  @Roles('admin', 'operator', 'auditor')
  list(@QueryParams() q: PageQuery): Promise<Page<ProjectView>> {
    return this.queries.execute(new ListProjectsQuery(q.limit, q.cursor));
  }

  @Get(':id')
  @Roles('admin', 'operator', 'auditor')
  get(@Param('id', uuidParam) id: string): Promise<ProjectView> {
    return this.queries.execute(new GetProjectQuery(id));
  }
}
