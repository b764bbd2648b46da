import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { LedgerError } from '../../../ledger/errors';
import { formatMoney } from '../../../ledger/money';
import { Idempotency, type Outcome } from '../../common/idempotency';
import { programAccountId, subsidyWallet } from '../../ledger/accounts';
import { ledgerFor } from '../../ledger/ledger-for';
import { InsufficientProgramFunds, NotAnAllowance, PeriodAlreadyDisbursed, ProgramNotFound } from '../subsidies.errors';
import { SubsidiesRepository } from '../subsidies.repository';
import { DisburseCommand, type Disbursed } from './disburse.command';

const DAY_MS = 86_400_000;

/** Held exclusively by a disbursement, shared by card closes. */
export const DISBURSEMENT_LOCK = 7260_0003;

/**
 * One allowance disbursement: every eligible resident with an active card gets a lot
 * of `amount`, expiring `validDays` from now, all in one ledger transaction written
 * set-based, or nobody gets anything. The program's row lock makes racing
 * disbursements of a period take turns, and the second finds the period done.
 */
@CommandHandler(DisburseCommand)
export class DisburseHandler implements ICommandHandler<DisburseCommand> {
  constructor(
    private readonly idempotency: Idempotency,
    private readonly programs: SubsidiesRepository,
  ) {}

  execute(cmd: DisburseCommand): Promise<Outcome<Disbursed>> {
    return this.idempotency.run(cmd.idempotency, async (trx) => ({ statusCode: 201, body: await this.disburse(trx, cmd) }));
  }

  private async disburse(trx: Knex.Transaction, { programId, period }: DisburseCommand): Promise<Disbursed> {
    const program = await this.programs.findById(trx, programId, 'update');
    if (!program) throw new ProgramNotFound();
    if (program.kind !== 'allowance') throw new NotAnAllowance();
    if (await this.programs.isDisbursed(trx, programId, period)) throw new PeriodAlreadyDisbursed(period);
    // Card closes wait for this (and this for them), so no closed card gets a lot it would keep.
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [DISBURSEMENT_LOCK]);

    const residents = await this.programs.eligibleResidents(trx, program);
    const each = new Decimal(program.amount);
    const total = each.times(residents.length);
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + program.valid_days! * DAY_MS);
    const transactionId = residents.length > 0 ? randomUUID() : null;
    const wallets = residents.map((r) => subsidyWallet(id, r));
    // The ledger transaction first: the disbursement row refers to it, the lots to both.
    if (transactionId) await this.fanOut(trx, transactionId, programId, period, wallets, each, total);
    await this.programs.insertDisbursement(trx, { id, programId, period, recipients: residents.length, total: formatMoney(total), expiresAt, transactionId });
    if (transactionId) {
      await this.programs.insertWallets(trx, { accountIds: wallets.map((w) => w.id), residentIds: residents, programId, disbursementId: id, expiresAt });
    }
    return { id, programId, period, recipients: residents.length, total: formatMoney(total), expiresAt: expiresAt.toISOString() };
  }

  private async fanOut(trx: Knex.Transaction, id: string, programId: string, period: string, wallets: ReturnType<typeof subsidyWallet>[], each: Decimal, total: Decimal) {
    const ledger = ledgerFor(trx);
    const budget = programAccountId(programId);
    try {
      await ledger.fanOut({ id, kind: 'disbursement', from: budget, to: wallets, each, metadata: { programId, period } });
    } catch (err) {
      if (!(err instanceof LedgerError && err.code === 'insufficient_funds')) throw err;
      const available = (await ledger.balances([budget])).get(budget)!;
      throw new InsufficientProgramFunds(formatMoney(available), formatMoney(total));
    }
  }
}
