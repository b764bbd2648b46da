import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CardsModule } from '../cards/cards.module';
import { ResidentsModule } from '../residents/residents.module';
import { ReportTapHandler } from './commands/report-tap.handler';
import { StationFeed } from './station-feed';
import { EndStreamsOfRevokedKey, StationsController } from './stations.controller';
import { TapStreams } from './tap-streams';

@Module({
  imports: [AuthModule, CardsModule, ResidentsModule],
  controllers: [StationsController],
  providers: [StationFeed, TapStreams, ReportTapHandler, EndStreamsOfRevokedKey],
})
export class StationsModule {}
