import { Module } from '@nestjs/common';
import { RegisterResidentHandler } from './commands/register-resident.handler';
import { UpdateResidentHandler } from './commands/update-resident.handler';
import { GetResidentHandler } from './queries/get-resident.handler';
import { LookupResidentHandler } from './queries/lookup-resident.handler';
import { ResidentsController } from './residents.controller';
import { ResidentsRepository } from './residents.repository';

@Module({
  controllers: [ResidentsController],
  providers: [ResidentsRepository, RegisterResidentHandler, UpdateResidentHandler, GetResidentHandler, LookupResidentHandler],
  exports: [ResidentsRepository],
})
export class ResidentsModule {}
