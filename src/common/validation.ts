import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed } from './domain-error';

/** Names every offending field (nested ones with dots) so a client can fix its request. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((c) => (c.startsWith(e.property) ? `${parent ? parent + '.' : ''}${c}` : `${path}: ${c}`));
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(describeValidationErrors(errors).join('; ') || 'invalid request'),
  });
}
