import { DomainError } from '../common/domain-error';

export class Unauthorized extends DomainError {
  constructor(message = 'a valid API key is required: Authorization: Bearer <key>') {
    super('unauthorized', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'this API key may not make this call') {
    super('forbidden', message);
  }
}

export class ApiKeyNotFound extends DomainError {
  constructor() {
    super('api_key_not_found', 'API key not found');
  }
}
