import { DomainError } from '../common/domain-error';

export class BillNotFound extends DomainError {
  constructor() {
    super('bill_not_found', 'bill not found');
  }
}

export class BillExists extends DomainError {
  constructor(reference: string) {
    super('bill_exists', `a bill with reference ${JSON.stringify(reference)} already exists`);
  }
}

export class BillAlreadyPaid extends DomainError {
  constructor() {
    super('bill_already_paid', 'this bill has been paid already');
  }
}

/** A bill is paid with its own resident's card; a neighbour's card is refused (409, not 403: the key may pay bills). */
export class CardOfAnotherResident extends DomainError {
  constructor() {
    super('card_resident_mismatch', "the card does not belong to the bill's resident");
  }
}

export class InsufficientFunds extends DomainError {
  constructor(balance: string) {
    super('insufficient_funds', `the cash wallet holds ${balance}, less than the amount`);
  }
}

export interface ImportLineError {
  line: number;
  field?: string;
  code: string;
  message: string;
}

/** A bill import refused as a whole; every problem found is listed by line. */
export class ImportFailed extends DomainError {
  constructor(
    readonly errors: ImportLineError[],
    total = errors.length,
  ) {
    super('import_failed', `nothing was imported: ${total} problem${total === 1 ? '' : 's'} in the file${total > errors.length ? ` (the first ${errors.length} are listed)` : ''}`);
  }
}
