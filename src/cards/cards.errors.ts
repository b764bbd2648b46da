import { DomainError } from '../common/domain-error';

export class CardNotFound extends DomainError {
  constructor() {
    super('card_not_found', 'card not found');
  }
}

export class UidInUse extends DomainError {
  constructor() {
    super('uid_in_use', 'this UID belongs to a card that is not closed');
  }
}

export class UidRetired extends DomainError {
  constructor() {
    super('uid_retired', 'this UID belonged to a card reported lost or stolen and can never be issued again');
  }
}

export class ResidentHasCard extends DomainError {
  constructor() {
    super('resident_has_card', 'the resident already holds an active or locked card');
  }
}

export class CardNotActive extends DomainError {
  constructor(status: string) {
    super('card_not_active', `the card is ${status}`);
  }
}

export class CardNotLocked extends DomainError {
  constructor(status: string) {
    super('card_not_locked', `the card is ${status}, not locked`);
  }
}
