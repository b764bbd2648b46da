import { Module } from '@nestjs/common';
import { DeskController } from './desk.controller';
import { SearchResidentsHandler } from './queries/search-residents.handler';

@Module({
  controllers: [DeskController],
  providers: [SearchResidentsHandler],
})
export class DeskModule {}
