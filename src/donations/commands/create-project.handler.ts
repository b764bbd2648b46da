import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { ledgerFor } from '../../ledger/ledger-for';
import { projectAccount } from '../charity-accounts';
import { projectView, type ProjectView } from '../donation.view';
import { DonationsRepository } from '../donations.repository';
import { CreateProjectCommand } from './create-project.command';

/** A registered charity project residents can give to (行善), with its ledger account. */
@CommandHandler(CreateProjectCommand)
export class CreateProjectHandler implements ICommandHandler<CreateProjectCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
  ) {}

  execute({ name, goal, by }: CreateProjectCommand): Promise<ProjectView> {
    return inTransaction(this.knex, async (trx) => {
      const id = randomUUID();
      await this.donations.insertProject(trx, { id, name, goal: goal === undefined ? null : formatMoney(new Decimal(goal)), apiKeyId: by.keyId });
      await ledgerFor(trx).openAccounts([projectAccount(id)]);
      return projectView((await this.donations.findProject(trx, id))!);
    });
  }
}
