import { DomainError } from '../common/domain-error';

export class ProjectNotFound extends DomainError {
  constructor() {
    super('project_not_found', 'charity project not found');
  }
}

export class DonationNotFound extends DomainError {
  constructor() {
    super('donation_not_found', 'donation not found');
  }
}
