import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../../ledger/money';
import { InjectKnex } from '../../db/database.module';
import { programAccountId } from '../../ledger/accounts';
import { programView } from '../program.view';
import { ProgramNotFound } from '../subsidies.errors';
import { SubsidiesRepository } from '../subsidies.repository';
import { ProgramReportQuery, type ProgramReport } from './program-report.query';

/** A Shanghai calendar month as a UTC range (by when money moved, like the ledger), or everything. */
const PERIOD = `(?::text IS NULL OR (t.created_at >= (to_date(?, 'YYYY-MM')::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND t.created_at < ((to_date(?, 'YYYY-MM') + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')))`;

/**
 * Every figure is a sum of ledger entries, by the kind of transaction they belong to,
 * so the report reconciles with the ledger to the fen: budget = funded - disbursed -
 * discounted + returned.
 */
@QueryHandler(ProgramReportQuery)
export class ProgramReportHandler implements IQueryHandler<ProgramReportQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly programs: SubsidiesRepository,
  ) {}

  async execute({ programId, period }: ProgramReportQuery): Promise<ProgramReport> {
    const program = await this.programs.findById(this.knex, programId);
    if (!program) throw new ProgramNotFound();
    const p = period ?? null;
    const budget = await this.byKind(
      `SELECT t.kind, sum(e.amount)::text AS total FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
       WHERE e.account_id = ? AND ${PERIOD} GROUP BY t.kind`,
      [programAccountId(programId), p, p, p],
    );
    const wallets = await this.byKind(
      `SELECT t.kind, sum(e.amount)::text AS total FROM subsidy_wallets w JOIN ledger_entries e ON e.account_id = w.account_id
       JOIN ledger_transactions t ON t.id = e.transaction_id WHERE w.program_id = ? AND ${PERIOD} GROUP BY t.kind`,
      [programId, p, p, p],
    );
    const { rows } = await this.knex.raw<{ rows: { balance: string | null; recipients: number }[] }>(
      `SELECT (SELECT sum(balance)::text FROM ledger_balances WHERE account_id = ?) AS balance,
              (SELECT coalesce(sum(recipients), 0)::int FROM subsidy_disbursements t WHERE program_id = ? AND ${PERIOD}) AS recipients`,
      [programAccountId(programId), programId, p, p, p],
    );
    const of = (m: Map<string, Decimal>, ...kinds: string[]) => kinds.reduce((sum, k) => sum.plus(m.get(k) ?? 0), new Decimal(0));
    return {
      ...programView(program),
      period: p,
      budget: formatMoney(new Decimal(rows[0].balance ?? 0)),
      funded: formatMoney(of(budget, 'program_funding')),
      disbursed: formatMoney(of(budget, 'disbursement').negated()),
      spent: formatMoney(of(wallets, 'payment', 'refund').negated()),
      discounted: formatMoney(of(budget, 'payment').negated()),
      returned: formatMoney(of(budget, 'subsidy_expiry', 'card_close_refund', 'refund')),
      recipients: rows[0].recipients,
    };
  }

  private async byKind(sql: string, bindings: unknown[]): Promise<Map<string, Decimal>> {
    const { rows } = await this.knex.raw<{ rows: { kind: string; total: string }[] }>(sql, bindings as never[]);
    return new Map(rows.map((r) => [r.kind, new Decimal(r.total)]));
  }
}
