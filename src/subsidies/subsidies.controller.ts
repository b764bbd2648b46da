import { Body, Controller, Get, Param, Post, Query as QueryParams, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import Decimal from 'decimal.js';
import type { FastifyReply } from 'fastify';
import { Roles } from '../auth/roles';
import { IdempotencyKey } from '../common/idempotency-key.decorator';
import { sendOutcome, type IdempotentRequest } from '../common/idempotency';
import { NoBody } from '../common/no-body.pipe';
import { uuidParam } from '../common/uuid.param';
import { CreateProgramCommand } from './commands/create-program.command';
import { DisburseCommand, type Disbursed } from './commands/disburse.command';
import { FundProgramCommand } from './commands/fund-program.command';
import { SweepCommand } from './commands/sweep.command';
import { CreateProgramDto, DisburseDto, FundProgramDto, ProgramReportQuery as ReportQueryDto } from './dto/create-program.dto';
import type { ProgramView } from './program.view';
import { ProgramReportQuery, type ProgramReport } from './queries/program-report.query';
import type { SweepResult } from './sweep';

@ApiTags('subsidies')
@ApiBearerAuth()
@Controller('v1/subsidy-programs')
export class SubsidiesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateProgramDto): Promise<ProgramView> {
    return this.commands.execute(new CreateProgramCommand(dto));
  }

  @Get(':id')
  @Roles('admin', 'auditor')
  report(@Param('id', uuidParam) id: string, @QueryParams() q: ReportQueryDto): Promise<ProgramReport> {
    return this.queries.execute(new ProgramReportQuery(id, q.period));
  }

  @Post(':id/funding')
  @Roles('admin')
  async fund(@Param('id', uuidParam) id: string, @Body() dto: FundProgramDto, @IdempotencyKey() key: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return sendOutcome(reply, await this.commands.execute(new FundProgramCommand(id, new Decimal(dto.amount), key)));
  }

  @Post(':id/disbursements')
  @Roles('admin')
  async disburse(@Param('id', uuidParam) id: string, @Body() dto: DisburseDto, @IdempotencyKey() key: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Disbursed> {
    return sendOutcome(reply, await this.commands.execute(new DisburseCommand(id, dto.period, key)));
  }

  @Post(':id/sweeps')
  @Roles('admin')
  sweep(@Param('id', uuidParam) id: string, @Body(NoBody) _: undefined): Promise<SweepResult> {
    return this.commands.execute(new SweepCommand(id));
  }
}
