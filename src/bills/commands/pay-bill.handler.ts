import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { payeeAccountId } from '../bill-accounts';
import { BillAlreadyPaid, BillNotFound } from '../bills.errors';
import { BillsRepository } from '../bills.repository';
import { activeCard, debitCash } from '../cash-debit';
import { type BillPaid, PayBillCommand } from './pay-bill.command';

/**
 * 缴费: a bill paid at the desk from its resident's cash, exactly once. The bill's row
 * lock makes two desks paying it at once take turns; the second finds it paid.
 */
@CommandHandler(PayBillCommand)
export class PayBillHandler implements ICommandHandler<PayBillCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly bills: BillsRepository,
  ) {}

  execute(cmd: PayBillCommand): Promise<Outcome<BillPaid>> {
    return this.idempotency.run(cmd.idempotency, async (trx) => ({ statusCode: 201, body: await this.pay(trx, cmd) }));
  }

  private async pay(trx: Knex.Transaction, { billId, cardId, by }: PayBillCommand): Promise<BillPaid> {
    const bill = await this.bills.findForPayment(trx, billId);
    if (!bill) throw new BillNotFound();
    if (bill.status === 'paid') throw new BillAlreadyPaid();
    const card = await activeCard(trx, cardId, bill.resident_id);
    const amount = new Decimal(bill.amount);
    const id = randomUUID();
    const { transactionId, cashLeft } = await debitCash(trx, {
      residentId: card.residentId,
      to: payeeAccountId(bill.payee),
      amount,
      kind: 'bill_payment',
      metadata: { billPaymentId: id, billId, cardId, payee: bill.payee, reference: bill.reference },
    });
    await this.bills.markPaid(trx, billId);
    const row = await this.bills.insertPayment(trx, { id, billId, cardId, residentId: card.residentId, amount: formatMoney(amount), transactionId, apiKeyId: by.keyId });
    return {
      id,
      billId,
      status: 'paid',
      amount: formatMoney(amount),
      cardId,
      residentId: card.residentId,
      payee: bill.payee,
      reference: bill.reference,
      transactionId,
      balance: { cash: formatMoney(cashLeft) },
      createdAt: row.created_at.toISOString(),
    };
  }
}
