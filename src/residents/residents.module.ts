import { Module } from '@nestjs/common';
import { Secrets } from '../config/secrets';
import { RegisterResidentHandler } from './commands/register-resident.handler';
import { UpdateResidentHandler } from './commands/update-resident.handler';
import { PiiStartup } from './pii-maintenance';
import { GetResidentHandler } from './queries/get-resident.handler';
import { LookupResidentHandler } from './queries/lookup-resident.handler';
import { ResidentPii } from './resident-pii';
import { ResidentsController } from './residents.controller';
import { ResidentsRepository } from './residents.repository';

@Module({
  controllers: [ResidentsController],
  providers: [
    { provide: ResidentPii, inject: [Secrets], useFactory: (secrets: Secrets) => new ResidentPii(secrets.idNumberKey, secrets.piiKeys) },
    PiiStartup,
    ResidentsRepository,
    RegisterResidentHandler,
    UpdateResidentHandler,
    GetResidentHandler,
    LookupResidentHandler,
  ],
  exports: [ResidentsRepository, ResidentPii],
})
export class ResidentsModule {}
