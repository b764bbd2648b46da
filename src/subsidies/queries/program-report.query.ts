import { Query } from '@nestjs/cqrs';
import type { ProgramView } from '../program.view';

export interface ProgramReport extends ProgramView {
  period: string | null;
  /** The budget now: what the program can still disburse or discount. */
  budget: string;
  funded: string;
  disbursed: string;
  /** Allowance money spent at merchants, net of refunds back into the wallets. */
  spent: string;
  discounted: string;
  /** Money that came back to the budget: expired lots, closed cards, refunds it paid for. */
  returned: string;
  recipients: number;
}

export class ProgramReportQuery extends Query<ProgramReport> {
  constructor(
    readonly programId: string,
    readonly period: string | undefined,
  ) {
    super();
  }
}
