import { Body, Controller, Get, Param, Post, Query as QueryParams, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import Decimal from 'decimal.js';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { IdempotencyKey } from '../common/idempotency-key.decorator';
import { sendOutcome, type IdempotentRequest } from '../common/idempotency';
import { uuidParam } from '../common/uuid.param';
import { RefundPaymentCommand, type RefundDone } from './commands/refund-payment.command';
import { TopUpCommand, type TopUpDone } from './commands/top-up.command';
import { MerchantPaymentsQuery, RefundDto, TopUpDto } from './dto/money-requests.dto';
import type { PaymentView } from './payment.view';
import { GetPaymentQuery } from './queries/get-payment.query';
import { ListMerchantPaymentsQuery } from './queries/list-merchant-payments.query';
import type { MerchantTotals } from './payments.repository';
import type { Page } from '../common/pagination';

type Reply = FastifyReply;

@ApiTags('money')
@ApiBearerAuth()
/** POST /v1/payments is served by pay-route.ts, on the fast lane. */
@Controller('v1')
export class PaymentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('top-ups')
  @Roles('operator', 'admin')
  async topUp(@Body() dto: TopUpDto, @IdempotencyKey() key: IdempotentRequest, @CurrentPrincipal() by: Principal, @Res({ passthrough: true }) reply: Reply): Promise<TopUpDone> {
    return sendOutcome(reply, await this.commands.execute(new TopUpCommand(dto.cardId, new Decimal(dto.amount), dto.method, key, by)));
  }

  @Get('payments/:id')
  @Roles('merchant', 'admin', 'auditor')
  get(@Param('id', uuidParam) id: string, @CurrentPrincipal() by: Principal): Promise<PaymentView> {
    return this.queries.execute(new GetPaymentQuery(id, by));
  }

  @Post('payments/:id/refunds')
  @Roles('merchant', 'admin')
  async refund(
    @Param('id', uuidParam) id: string,
    @Body() dto: RefundDto,
    @IdempotencyKey() key: IdempotentRequest,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: Reply,
  ): Promise<RefundDone> {
    const amount = dto.amount === undefined ? undefined : new Decimal(dto.amount);
    return sendOutcome(reply, await this.commands.execute(new RefundPaymentCommand(id, amount, key, by)));
  }

  @Get('merchants/:id/payments')
  @Roles('merchant', 'admin', 'auditor')
  merchantPayments(
    @Param('id', uuidParam) id: string,
    @QueryParams() q: MerchantPaymentsQuery,
    @CurrentPrincipal() by: Principal,
  ): Promise<Page<PaymentView> & { totals: MerchantTotals }> {
    return this.queries.execute(new ListMerchantPaymentsQuery({ merchantId: id, date: q.date, status: q.status }, q.limit, q.cursor, by));
  }
}
