import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { chineseAmount } from '../chinese-amount';
import { DonationNotFound } from '../donations.errors';
import { DonationsRepository } from '../donations.repository';
import { maskName } from '../receipt';
import { type DonationReceipt, GetReceiptQuery } from './get-receipt.query';

/** The donation receipt (捐赠收据) the desk prints for the donor. */
@QueryHandler(GetReceiptQuery)
export class GetReceiptHandler implements IQueryHandler<GetReceiptQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly donations: DonationsRepository,
  ) {}

  async execute({ donationId }: GetReceiptQuery): Promise<DonationReceipt> {
    const r = await this.donations.receipt(this.knex, donationId);
    if (!r) throw new DonationNotFound();
    const amount = new Decimal(r.amount);
    return {
      receiptNo: r.receipt_no,
      donationId: r.id,
      projectId: r.project_id,
      projectName: r.project_name,
      donorName: maskName(r.donor_name),
      amount: formatMoney(amount),
      amountInWords: chineseAmount(amount),
      currency: 'CNY',
      date: r.day,
      transactionId: r.transaction_id,
      createdAt: r.created_at.toISOString(),
    };
  }
}
