import { Module } from '@nestjs/common';
import { CreateProgramHandler } from './commands/create-program.handler';
import { DisburseHandler } from './commands/disburse.handler';
import { FundProgramHandler } from './commands/fund-program.handler';
import { SweepHandler } from './commands/sweep.handler';
import { ExpirySweeperService } from './expiry-sweeper.service';
import { ProgramReportHandler } from './queries/program-report.handler';
import { SubsidiesController } from './subsidies.controller';
import { SubsidiesRepository } from './subsidies.repository';

@Module({
  controllers: [SubsidiesController],
  providers: [SubsidiesRepository, CreateProgramHandler, FundProgramHandler, DisburseHandler, SweepHandler, ProgramReportHandler, ExpirySweeperService],
  exports: [SubsidiesRepository],
})
export class SubsidiesModule {}
