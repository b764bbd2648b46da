import { DomainError } from '../common/domain-error';

export class ProgramNotFound extends DomainError {
  constructor() {
    super('program_not_found', 'subsidy program not found');
  }
}

export class PeriodAlreadyDisbursed extends DomainError {
  constructor(period: string) {
    super('period_already_disbursed', `this program has already disbursed ${period}`);
  }
}

export class InsufficientProgramFunds extends DomainError {
  constructor(budget: string, total: string) {
    super('insufficient_program_funds', `the budget of ${budget} cannot cover ${total}; nothing was credited`);
  }
}

export class NotAnAllowance extends DomainError {
  constructor() {
    super('program_not_allowance', 'only allowance programs are disbursed; discounts apply at the till');
  }
}
