import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { ProgramNotFound } from '../subsidies.errors';
import { SubsidiesRepository } from '../subsidies.repository';
import { sweepProgram, type SweepResult } from '../sweep';
import { SweepCommand } from './sweep.command';

@CommandHandler(SweepCommand)
export class SweepHandler implements ICommandHandler<SweepCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly programs: SubsidiesRepository,
  ) {}

  execute({ programId }: SweepCommand): Promise<SweepResult> {
    return inTransaction(this.knex, async (trx) => {
      if (!(await this.programs.findById(trx, programId))) throw new ProgramNotFound();
      return sweepProgram(trx, this.programs, programId);
    });
  }
}
