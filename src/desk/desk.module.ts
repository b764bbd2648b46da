import { Module } from '@nestjs/common';
import { ResidentsModule } from '../residents/residents.module';
import { DeskController } from './desk.controller';
import { SearchResidentsHandler } from './queries/search-residents.handler';

@Module({
  imports: [ResidentsModule],
  controllers: [DeskController],
  providers: [SearchResidentsHandler],
})
export class DeskModule {}
