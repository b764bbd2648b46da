import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { formatMoney } from '../../../ledger/money';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { programAccountId, TREASURY } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { ProgramNotFound } from '../subsidies.errors';
import { SubsidiesRepository } from '../subsidies.repository';
import { FundProgramCommand } from './fund-program.command';

/** The district treasury puts money in a program's budget. */
@CommandHandler(FundProgramCommand)
export class FundProgramHandler implements ICommandHandler<FundProgramCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly programs: SubsidiesRepository,
  ) {}

  execute({ programId, amount, idempotency }: FundProgramCommand): Promise<Outcome> {
    return this.idempotency.run(idempotency, async (trx) => {
      if (!(await this.programs.findById(trx, programId))) throw new ProgramNotFound();
      const ledger = ledgerFor(trx);
      const id = randomUUID();
      await ledger.postOne({
        id,
        kind: 'program_funding',
        postings: [
          { accountId: TREASURY, amount: amount.negated() },
          { accountId: programAccountId(programId), amount },
        ],
        metadata: { programId },
      });
      const budget = (await ledger.balances([programAccountId(programId)])).get(programAccountId(programId))!;
      return { statusCode: 201, body: { id, programId, amount: formatMoney(amount), budget: formatMoney(budget) } };
    });
  }
}
