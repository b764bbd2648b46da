import { DomainError } from '../common/domain-error';

export class ResidentExists extends DomainError {
  constructor() {
    super('resident_exists', 'a resident with this ID number is already registered');
  }
}

export class ResidentNotFound extends DomainError {
  constructor() {
    super('resident_not_found', 'resident not found');
  }
}
