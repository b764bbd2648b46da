import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailed } from './domain-error';

/** `@Param('id', uuidParam)`: a malformed id is bad input (400), not a missing resource. */
export const uuidParam = new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailed('id: must be a UUID') });
