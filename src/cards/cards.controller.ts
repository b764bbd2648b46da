import { Body, Controller, Get, HttpCode, Param, Post, Query as QueryParams, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ChangesAccess } from '../access/changes-access';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { IdempotencyKey } from '../common/idempotency-key.decorator';
import { sendOutcome, type IdempotentRequest } from '../common/idempotency';
import { PageQuery, type Page } from '../common/pagination';
import { NoBody } from '../common/no-body.pipe';
import { uuidParam } from '../common/uuid.param';
import type { StatementLine } from '../ledger/statement';
import type { CardView } from './card.view';
import { type CardClosed, CloseCardCommand } from './commands/close-card.command';
import { IssueCardCommand } from './commands/issue-card.command';
import { LockCardCommand } from './commands/lock-card.command';
import { ReplaceCardCommand } from './commands/replace-card.command';
import { UnlockCardCommand } from './commands/unlock-card.command';
import { CardsByUidQuery, IssueCardDto, LockCardDto, ReplaceCardDto } from './dto/card-requests.dto';
import { CardBalanceQuery, type CardBalance } from './queries/card-balance.query';
import { CardHistoryQuery, type CardHistoryItem } from './queries/card-history.query';
import { CardStatementQuery } from './queries/card-statement.query';
import { GetCardQuery } from './queries/get-card.query';
import { ListCardsQuery } from './queries/list-cards.query';

@ApiTags('cards')
@ApiBearerAuth()
@Controller('v1')
export class CardsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('cards')
  @Roles('admin', 'operator')
  @ChangesAccess()
  issue(@Body() dto: IssueCardDto, @CurrentPrincipal() by: Principal): Promise<CardView> {
    return this.commands.execute(new IssueCardCommand(dto.residentId, dto.uid, by));
  }

  @Get('cards')
  @Roles('admin', 'operator', 'auditor')
  byUid(@QueryParams() q: CardsByUidQuery): Promise<Page<CardView>> {
    return this.queries.execute(new ListCardsQuery({ uid: q.uid }));
  }

  @Get('cards/:id')
  @Roles('admin', 'operator', 'auditor')
  get(@Param('id', uuidParam) id: string): Promise<CardView> {
    return this.queries.execute(new GetCardQuery(id));
  }

  @Get('residents/:id/cards')
  @Roles('admin', 'operator', 'auditor')
  ofResident(@Param('id', uuidParam) id: string): Promise<Page<CardView>> {
    return this.queries.execute(new ListCardsQuery({ residentId: id }));
  }

  @Post('cards/:id/lock')
  @Roles('admin', 'operator')
  @ChangesAccess()
  @HttpCode(200)
  lock(@Param('id', uuidParam) id: string, @Body() dto: LockCardDto, @CurrentPrincipal() by: Principal): Promise<CardView> {
    return this.commands.execute(new LockCardCommand(id, dto.reason, by));
  }

  @Post('cards/:id/unlock')
  @Roles('admin', 'operator')
  @ChangesAccess()
  @HttpCode(200)
  unlock(@Param('id', uuidParam) id: string, @Body(NoBody) _: undefined, @CurrentPrincipal() by: Principal): Promise<CardView> {
    return this.commands.execute(new UnlockCardCommand(id, by));
  }

  @Post('cards/:id/replace')
  @Roles('admin', 'operator')
  @ChangesAccess()
  replace(@Param('id', uuidParam) id: string, @Body() dto: ReplaceCardDto, @CurrentPrincipal() by: Principal): Promise<CardView> {
    return this.commands.execute(new ReplaceCardCommand(id, dto.uid, dto.reason, by));
  }

  @Post('cards/:id/close')
  @Roles('admin', 'operator')
  @ChangesAccess()
  async close(
    @Param('id', uuidParam) id: string,
    @Body(NoBody) _: undefined,
    @IdempotencyKey() idempotency: IdempotentRequest,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardClosed> {
    return sendOutcome(reply, await this.commands.execute(new CloseCardCommand(id, idempotency, by)));
  }

  @Get('cards/:id/history')
  @Roles('admin', 'operator', 'auditor')
  history(@Param('id', uuidParam) id: string, @QueryParams() page: PageQuery): Promise<Page<CardHistoryItem>> {
    return this.queries.execute(new CardHistoryQuery(id, page.limit, page.cursor));
  }

  @Get('cards/:id/balance')
  @Roles('admin', 'operator')
  balance(@Param('id', uuidParam) id: string): Promise<CardBalance> {
    return this.queries.execute(new CardBalanceQuery(id));
  }

  @Get('cards/:id/transactions')
  @Roles('admin', 'operator', 'auditor')
  transactions(@Param('id', uuidParam) id: string, @QueryParams() page: PageQuery): Promise<Page<StatementLine>> {
    return this.queries.execute(new CardStatementQuery(id, page.limit, page.cursor));
  }
}
