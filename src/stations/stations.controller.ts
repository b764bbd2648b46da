import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyRevokedEvent } from '../auth/events/api-key-revoked.event';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import { ReportTapCommand } from './commands/report-tap.command';
import { TapDto } from './dto/tap.dto';
import { stationParam } from './station-id';
import type { TapView } from './tap.view';
import { TapStreams } from './tap-streams';

@ApiTags('stations')
@ApiBearerAuth()
@Controller('v1/stations')
export class StationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly streams: TapStreams,
  ) {}

  /** The desk bridge reports a tap; 202: the tap is handed to whoever watches the station, nothing is stored. */
  @Post(':id/taps')
  @Roles('operator', 'admin')
  @HttpCode(202)
  tap(@Param('id', stationParam) station: string, @Body() dto: TapDto): Promise<TapView> {
    return this.commands.execute(new ReportTapCommand(station, dto.uid));
  }

  /** Server-sent events: `ready` once subscribed, then a `tap` per tap, `end` when the service closes the stream. */
  @Get(':id/events')
  @Roles('operator', 'admin')
  @ApiProduces('text/event-stream')
  events(
    @Param('id', stationParam) station: string,
    @CurrentPrincipal() by: Principal,
    @Headers('authorization') authorization: string,
    @Res() reply: FastifyReply,
  ): void {
    this.streams.serve(station, by, authorization, reply);
  }
}

@EventsHandler(ApiKeyRevokedEvent)
export class EndStreamsOfRevokedKey implements IEventHandler<ApiKeyRevokedEvent> {
  constructor(private readonly streams: TapStreams) {}

  handle(event: ApiKeyRevokedEvent): void {
    this.streams.revoked(event.keyId);
  }
}
