import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { ValidationFailed } from '../../common/domain-error';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { programAccount } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { programView, type ProgramView } from '../program.view';
import { SubsidiesRepository } from '../subsidies.repository';
import { CreateProgramCommand } from './create-program.command';

/** A program and its budget account (empty until funded from the treasury). */
@CommandHandler(CreateProgramCommand)
export class CreateProgramHandler implements ICommandHandler<CreateProgramCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly programs: SubsidiesRepository,
  ) {}

  async execute({ program: p }: CreateProgramCommand): Promise<ProgramView> {
    const e = p.eligibility;
    if (e.minAge !== undefined && e.maxAge !== undefined && e.minAge > e.maxAge) throw new ValidationFailed('eligibility.minAge: must not be above maxAge');
    if (p.kind === 'allowance' && (p.minSpend !== undefined || p.dailyLimit !== undefined)) {
      throw new ValidationFailed('minSpend, dailyLimit: only for discount programs');
    }
    if (p.kind === 'discount' && p.validDays !== undefined) throw new ValidationFailed('validDays: only for allowance programs');
    const row = await inTransaction(this.knex, async (trx) => {
      const created = await this.programs.insert(trx, {
        id: randomUUID(),
        name: p.name,
        kind: p.kind,
        merchantCategories: p.merchantCategories,
        minAge: e.minAge ?? null,
        maxAge: e.maxAge ?? null,
        tags: e.tags ?? [],
        amount: p.amount,
        validDays: p.validDays ?? null,
        minSpend: p.kind === 'discount' ? (p.minSpend ?? '0') : null,
        dailyLimit: p.kind === 'discount' ? (p.dailyLimit ?? 1) : null,
      });
      await ledgerFor(trx).openAccounts([programAccount(created.id)]);
      return created;
    });
    return programView(row);
  }
}
