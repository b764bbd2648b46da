/**
 * An error the client caused or must know about, named by a stable snake_case code.
 * Domain code throws these; the exception filter decides the HTTP status from the code.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string) {
    super('validation_failed', message);
  }
}

export class NotFound extends DomainError {
  constructor(what: string, code = 'not_found') {
    super(code, `${what} not found`);
  }
}
