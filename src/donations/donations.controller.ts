import { Body, Controller, Get, Param, Post, Query as QueryParams, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import Decimal from 'decimal.js';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { IdempotencyKey } from '../common/idempotency-key.decorator';
import { sendOutcome, type IdempotentRequest } from '../common/idempotency';
import { PageQuery, type Page } from '../common/pagination';
import { uuidParam } from '../common/uuid.param';
import { type Donated, DonateCommand } from './commands/donate.command';
import type { DonationView } from './donation.view';
import { DonateDto } from './dto/donation-requests.dto';
import { GetDonationQuery } from './queries/get-donation.query';
import { type DonationReceipt, GetReceiptQuery } from './queries/get-receipt.query';
import { ListResidentDonationsQuery } from './queries/list-resident-donations.query';

@ApiTags('donations')
@ApiBearerAuth()
@Controller('v1')
export class DonationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('donations')
  @Roles('operator', 'admin')
  async donate(@Body() dto: DonateDto, @IdempotencyKey() key: IdempotentRequest, @CurrentPrincipal() by: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Donated> {
    return sendOutcome(reply, await this.commands.execute(new DonateCommand(dto.cardId, dto.projectId, new Decimal(dto.amount), key, by)));
  }

  @Get('donations/:id')
  @Roles('admin', 'operator', 'auditor')
  get(@Param('id', uuidParam) id: string): Promise<DonationView> {
    return this.queries.execute(new GetDonationQuery(id));
  }

  @Get('donations/:id/receipt')
  @Roles('admin', 'operator')
  receipt(@Param('id', uuidParam) id: string): Promise<DonationReceipt> {
    return this.queries.execute(new GetReceiptQuery(id));
  }

  @Get('residents/:id/donations')
  @Roles('admin', 'operator')
  ofResident(@Param('id', uuidParam) id: string, @QueryParams() q: PageQuery): Promise<Page<DonationView>> {
    return this.queries.execute(new ListResidentDonationsQuery(id, q.limit, q.cursor));
  }
}
