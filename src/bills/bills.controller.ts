import { Body, Controller, Get, Param, Post, Query as QueryParams, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { IdempotencyKey } from '../common/idempotency-key.decorator';
import { sendOutcome, type IdempotentRequest } from '../common/idempotency';
import type { Page } from '../common/pagination';
import { uuidParam } from '../common/uuid.param';
import type { BillView } from './bill.view';
import { CreateBillCommand } from './commands/create-bill.command';
import { type BillsImported, ImportBillsCommand } from './commands/import-bills.command';
import { type BillPaid, PayBillCommand } from './commands/pay-bill.command';
import { CsvText } from './csv-body';
import { CreateBillDto, PayBillDto, ResidentBillsQuery } from './dto/bill-requests.dto';
import { ImportFailedFilter } from './import-failed.filter';
import { GetBillQuery } from './queries/get-bill.query';
import { ListResidentBillsQuery } from './queries/list-resident-bills.query';

@ApiTags('bills')
@ApiBearerAuth()
@Controller('v1')
export class BillsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('bills')
  @Roles('admin')
  create(@Body() dto: CreateBillDto, @CurrentPrincipal() by: Principal): Promise<BillView> {
    return this.commands.execute(new CreateBillCommand(dto, by));
  }

  @Post('bills/import')
  @Roles('admin')
  @UseFilters(ImportFailedFilter)
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: 'residentId,payee,amount,dueDate,reference\n…,water,86.40,2026-12-15,SH-WATER-2026-11-000123\n' } })
  import(@Body(CsvText) csv: string, @CurrentPrincipal() by: Principal): Promise<BillsImported> {
    return this.commands.execute(new ImportBillsCommand(csv, by));
  }

  @Get('bills/:id')
  @Roles('admin', 'operator', 'auditor')
  get(@Param('id', uuidParam) id: string): Promise<BillView> {
    return this.queries.execute(new GetBillQuery(id));
  }

  @Get('residents/:id/bills')
  @Roles('admin', 'operator')
  ofResident(@Param('id', uuidParam) id: string, @QueryParams() q: ResidentBillsQuery): Promise<Page<BillView>> {
    return this.queries.execute(new ListResidentBillsQuery(id, q.status, q.limit, q.cursor));
  }

  @Post('bills/:id/payments')
  @Roles('operator', 'admin')
  async pay(
    @Param('id', uuidParam) id: string,
    @Body() dto: PayBillDto,
    @IdempotencyKey() key: IdempotentRequest,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BillPaid> {
    return sendOutcome(reply, await this.commands.execute(new PayBillCommand(id, dto.cardId, key, by)));
  }
}
