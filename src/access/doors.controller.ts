import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query as QueryParams, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Public, Roles } from '../auth/roles';
import { PageQuery, type Page } from '../common/pagination';
import { uuidParam } from '../common/uuid.param';
import { AccessSigner } from './access-signer';
import { ChangesAccess } from './changes-access';
import { CreateDoorCommand } from './commands/create-door.command';
import { GrantAccessCommand } from './commands/grant-access.command';
import { RevokeGrantCommand } from './commands/revoke-grant.command';
import type { DoorView, GrantView } from './door.view';
import { AllowlistQueryDto, CreateDoorDto, CreateGrantDto, DoorEventsQueryDto } from './dto/door-requests.dto';
import type { AccessEventView } from './queries/door-queries.handler';
import { DoorEventsQuery, GetDoorQuery, ListDoorsQuery, ListGrantsQuery } from './queries/door-queries';
import { GetAllowlistQuery } from './queries/get-allowlist.query';

@ApiTags('doors')
@ApiBearerAuth()
/** POST /v1/access/check is served by check-route.ts, outside Nest, for speed. */
@Controller('v1')
export class DoorsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly signer: AccessSigner,
  ) {}

  @Post('doors')
  @Roles('admin')
  @ChangesAccess()
  create(@Body() dto: CreateDoorDto): Promise<DoorView> {
    return this.commands.execute(new CreateDoorCommand(dto.name, dto.community, dto.building ?? null));
  }

  @Get('doors')
  @Roles('admin', 'operator')
  list(@QueryParams() page: PageQuery): Promise<Page<DoorView>> {
    return this.queries.execute(new ListDoorsQuery(page.limit, page.cursor));
  }

  @Get('doors/:id')
  @Roles('admin', 'operator', 'door')
  get(@Param('id', uuidParam) id: string, @CurrentPrincipal() by: Principal): Promise<DoorView> {
    return this.queries.execute(new GetDoorQuery(id, by));
  }

  @Post('doors/:id/grants')
  @Roles('admin', 'operator')
  @ChangesAccess()
  grant(@Param('id', uuidParam) id: string, @Body() dto: CreateGrantDto, @CurrentPrincipal() by: Principal): Promise<GrantView> {
    const hours = dto.hours ? { from: dto.hours.from, to: dto.hours.to } : null;
    return this.commands.execute(new GrantAccessCommand(id, dto.residentId, dto.validFrom ?? null, dto.validUntil ?? null, hours, by));
  }

  @Get('doors/:id/grants')
  @Roles('admin', 'operator')
  grants(@Param('id', uuidParam) id: string): Promise<Page<GrantView>> {
    return this.queries.execute(new ListGrantsQuery(id, false));
  }

  @Delete('doors/:id/grants/:grantId')
  @Roles('admin', 'operator')
  @HttpCode(204)
  @ChangesAccess()
  async revoke(@Param('id', uuidParam) id: string, @Param('grantId', uuidParam) grantId: string, @CurrentPrincipal() by: Principal): Promise<void> {
    await this.commands.execute(new RevokeGrantCommand(id, grantId, by));
  }

  @Get('doors/:id/events')
  @Roles('admin')
  events(@Param('id', uuidParam) id: string, @QueryParams() q: DoorEventsQueryDto): Promise<Page<AccessEventView>> {
    return this.queries.execute(new DoorEventsQuery(id, { cardId: q.cardId, from: q.from, to: q.to }, q.limit, q.cursor));
  }

  /** The body is sent as the exact bytes that were signed. */
  @Get('doors/:id/allowlist')
  @Roles('door', 'admin')
  async allowlist(
    @Param('id', uuidParam) id: string,
    @QueryParams() q: AllowlistQueryDto,
    @CurrentPrincipal() by: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const list = await this.queries.execute(new GetAllowlistQuery(id, q.since === undefined ? undefined : Number(q.since), by));
    const body = JSON.stringify(list);
    await reply.header('Signature', this.signer.sign(body)).type('application/json; charset=utf-8').send(body);
  }

  @Get('access/public-key')
  @Public()
  publicKey(): { algorithm: 'Ed25519'; publicKey: string } {
    return { algorithm: 'Ed25519', publicKey: this.signer.publicKeyPem };
  }
}
