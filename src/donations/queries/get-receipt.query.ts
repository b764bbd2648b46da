import { Query } from '@nestjs/cqrs';

export interface DonationReceipt {
  receiptNo: string;
  donationId: string;
  projectId: string;
  projectName: string;
  /** The donor's name as a receipt may show it (see maskName). */
  donorName: string;
  amount: string;
  /** The amount in Chinese capital numerals (大写), as a Chinese receipt writes it. */
  amountInWords: string;
  currency: 'CNY';
  /** The day of the donation in Asia/Shanghai. */
  date: string;
  transactionId: string;
  createdAt: string;
}

export class GetReceiptQuery extends Query<DonationReceipt> {
  constructor(readonly donationId: string) {
    super();
  }
}
