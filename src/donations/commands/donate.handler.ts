import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { activeCard, debitCash } from '../../bills/cash-debit';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { projectAccountId } from '../charity-accounts';
import { donationView } from '../donation.view';
import { ProjectNotFound } from '../donations.errors';
import { DonationsRepository } from '../donations.repository';
import { receiptNo } from '../receipt';
import { type Donated, DonateCommand } from './donate.command';

/** 行善: a gift from the card's cash to a charity project, with a numbered receipt. */
@CommandHandler(DonateCommand)
export class DonateHandler implements ICommandHandler<DonateCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly donations: DonationsRepository,
  ) {}

  execute(cmd: DonateCommand): Promise<Outcome<Donated>> {
    return this.idempotency.run(cmd.idempotency, async (trx) => ({ statusCode: 201, body: await this.donate(trx, cmd) }));
  }

  private async donate(trx: Knex.Transaction, { cardId, projectId, amount, by }: DonateCommand): Promise<Donated> {
    if (!(await this.donations.projectExists(trx, projectId))) throw new ProjectNotFound();
    const card = await activeCard(trx, cardId);
    const id = randomUUID();
    const { transactionId, cashLeft } = await debitCash(trx, {
      residentId: card.residentId,
      to: projectAccountId(projectId),
      amount,
      kind: 'donation',
      metadata: { donationId: id, projectId, cardId },
    });
    // Numbered last: every donor to the project queues on this counter until commit, so it is taken as late as possible.
    const receipt = await this.donations.nextReceipt(trx, projectId);
    const row = await this.donations.insertDonation(trx, {
      id,
      projectId,
      cardId,
      residentId: card.residentId,
      amount: formatMoney(amount),
      receiptYear: receipt.year,
      receiptSeq: receipt.seq,
      receiptNo: receiptNo(receipt.year, receipt.seq),
      transactionId,
      apiKeyId: by.keyId,
    });
    return { ...donationView(row), balance: { cash: formatMoney(cashLeft) } };
  }
}
