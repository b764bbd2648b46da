import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { ledgerFor } from '../../ledger/ledger-for';
import { ResidentNotFound } from '../../residents/residents.errors';
import { ResidentsRepository } from '../../residents/residents.repository';
import { payeeAccount } from '../bill-accounts';
import { billView, type BillView } from '../bill.view';
import { BillExists } from '../bills.errors';
import { BillsRepository } from '../bills.repository';
import { CreateBillCommand } from './create-bill.command';

/** A bill the district's utilities sent for one resident, to be paid at the desk. */
@CommandHandler(CreateBillCommand)
export class CreateBillHandler implements ICommandHandler<CreateBillCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly bills: BillsRepository,
    private readonly residents: ResidentsRepository,
  ) {}

  execute({ bill, by }: CreateBillCommand): Promise<BillView> {
    return inTransaction(this.knex, async (trx) => {
      if (!(await this.residents.findById(trx, bill.residentId))) throw new ResidentNotFound();
      // Opened with the first bill for the payee, so that paying any bill finds its account.
      await ledgerFor(trx).openAccounts([payeeAccount(bill.payee)]);
      const [row] = await this.bills.insertMany(
        trx,
        [{ id: randomUUID(), residentId: bill.residentId, payee: bill.payee, amount: formatMoney(new Decimal(bill.amount)), dueDate: bill.dueDate, reference: bill.reference }],
        by.keyId,
      );
      if (!row) throw new BillExists(bill.reference);
      return billView(row);
    });
  }
}
