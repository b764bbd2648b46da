import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { ledgerFor } from '../../ledger/ledger-for';
import { payeeAccount } from '../bill-accounts';
import { listed, readImportFile, type ImportLine } from '../bill-import';
import { billView } from '../bill.view';
import { ImportFailed, type ImportLineError } from '../bills.errors';
import { BillsRepository } from '../bills.repository';
import { type BillsImported, ImportBillsCommand } from './import-bills.command';

/**
 * A utility's monthly file of bills, all or nothing: one bad line refuses the whole
 * file with every problem listed by line, so the file can be fixed and sent again
 * without working out which half went in.
 */
@CommandHandler(ImportBillsCommand)
export class ImportBillsHandler implements ICommandHandler<ImportBillsCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly bills: BillsRepository,
  ) {}

  async execute({ csv, by }: ImportBillsCommand): Promise<BillsImported> {
    const { lines, errors } = await readImportFile(csv);
    return inTransaction(this.knex, async (trx) => {
      const repeats = new Set(errors.filter((e) => e.code === 'bill_exists').map((e) => e.line));
      const problems = [...errors, ...(await this.unknownOrExisting(trx, lines, repeats))];
      if (problems.length > 0) throw failed(problems);
      await ledgerFor(trx).openAccounts([...new Set(lines.map((l) => l.bill.payee))].map(payeeAccount));
      const ids = new Map(lines.map((l) => [l.bill.reference, randomUUID()]));
      // In reference order, so that two imports sharing references take their index locks in the same order: no deadlock.
      const sorted = [...lines].sort((a, b) => (a.bill.reference < b.bill.reference ? -1 : 1));
      const rows = await this.bills.insertMany(
        trx,
        sorted.map(({ bill }) => ({ id: ids.get(bill.reference)!, residentId: bill.residentId, payee: bill.payee, amount: formatMoney(new Decimal(bill.amount)), dueDate: bill.dueDate, reference: bill.reference })),
        by.keyId,
      );
      if (rows.length < lines.length) {
        // Another import or desk entered some of these references after the check above.
        const inserted = new Set(rows.map((r) => r.reference));
        throw failed(lines.filter((l) => !inserted.has(l.bill.reference)).map((l) => existing(l)));
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      return { created: rows.length, items: lines.map((l) => billView(byId.get(ids.get(l.bill.reference)!)!)) };
    });
  }

  /** Residents that do not exist and references already taken; a line repeating an earlier one's reference is reported once, as the repeat. */
  private async unknownOrExisting(trx: Knex.Transaction, lines: ImportLine[], repeats: Set<number>): Promise<ImportLineError[]> {
    const residents = await this.bills.existingResidents(trx, lines.map((l) => l.bill.residentId));
    const references = await this.bills.existingReferences(trx, lines.map((l) => l.bill.reference));
    return lines.flatMap((l): ImportLineError[] => [
      ...(residents.has(l.bill.residentId) ? [] : [{ line: l.line, field: 'residentId', code: 'resident_not_found', message: 'no resident has this id' }]),
      ...(references.has(l.bill.reference) && !repeats.has(l.line) ? [existing(l)] : []),
    ]);
  }
}

function existing(l: ImportLine): ImportLineError {
  return { line: l.line, field: 'reference', code: 'bill_exists', message: `a bill with reference ${JSON.stringify(l.bill.reference)} already exists` };
}

function failed(problems: ImportLineError[]): ImportFailed {
  const { errors, total } = listed(problems);
  return new ImportFailed(errors, total);
}
