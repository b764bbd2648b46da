import { DomainError } from '../common/domain-error';

export class DoorNotFound extends DomainError {
  constructor() {
    super('door_not_found', 'door not found');
  }
}

export class GrantNotFound extends DomainError {
  constructor() {
    super('grant_not_found', 'grant not found on this door');
  }
}
