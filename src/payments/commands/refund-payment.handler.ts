import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { assertMerchantScope } from '../../auth/scope';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { merchantAccountId, programAccountId } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { fundingView, planRefund, type FundingLine } from '../funding';
import { fromStoredFunding, toStoredFunding } from '../payment.view';
import { PaymentNotFound, PaymentNotRefundable, RefundExceedsPayment } from '../payments.errors';
import { PaymentsRepository } from '../payments.repository';
import { RefundPaymentCommand, type RefundDone } from './refund-payment.command';

/**
 * A refund, partial or whole, back to the wallets the payment drew from. The payment's
 * row is locked, so concurrent refunds of one payment take turns and can never add up
 * to more than it.
 */
@CommandHandler(RefundPaymentCommand)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly payments: PaymentsRepository,
  ) {}

  execute(cmd: RefundPaymentCommand): Promise<Outcome<RefundDone>> {
    return this.idempotency.run(cmd.idempotency, async (trx) => ({ statusCode: 201, body: await this.refund(trx, cmd) }));
  }

  private async refund(trx: Knex.Transaction, { paymentId, amount, by }: RefundPaymentCommand): Promise<RefundDone> {
    const found = await this.payments.findForRefund(trx, paymentId);
    if (!found) throw new PaymentNotFound();
    const { payment } = found;
    const refundedLines = fromStoredFunding(found.refundedLines);
    assertMerchantScope(by, payment.merchant_id);
    if (payment.status !== 'approved') throw new PaymentNotRefundable();
    // Each refund's lines add up to its amount, so the lines tell what is refunded so far.
    const left = refundedLines.reduce((sum, l) => sum.minus(l.amount), new Decimal(payment.amount));
    const wanted = amount ?? left;
    if (left.isZero() || wanted.gt(left)) throw new RefundExceedsPayment(formatMoney(left));
    const lines = planRefund(wanted, fromStoredFunding(payment.funding), refundedLines);
    if (!lines) throw new RefundExceedsPayment(formatMoney(left));

    const expired = await this.payments.expiredLots(trx, lines.filter((l) => l.wallet === 'subsidy').map((l) => l.accountId));
    const id = randomUUID();
    const transactionId = randomUUID();
    await ledgerFor(trx).postOne({
      id: transactionId,
      kind: 'refund',
      postings: [{ accountId: merchantAccountId(payment.merchant_id), amount: wanted.negated() }, ...lines.map((l) => ({ accountId: destination(l, expired), amount: l.amount }))],
      metadata: { refundId: id, paymentId, merchantId: payment.merchant_id, cardId: payment.card_id },
    });
    const createdAt = await this.payments.insertRefund(trx, { id, payment, amount: formatMoney(wanted), funding: toStoredFunding(lines), transactionId, apiKeyId: by.keyId });
    return { id, paymentId, amount: formatMoney(wanted), funding: refundView(lines, expired), createdAt: createdAt.toISOString() };
  }
}

/** Subsidy money whose lot has expired goes back to its program's budget, not into a wallet nobody can spend. */
function destination(line: FundingLine, expired: Set<string>): string {
  return expired.has(line.accountId) ? programAccountId(line.programId!) : line.accountId;
}

function refundView(lines: FundingLine[], expired: Set<string>) {
  return fundingView(lines).map((v, i) => (expired.has(lines[i].accountId) ? { ...v, returnedToProgram: true } : v));
}
