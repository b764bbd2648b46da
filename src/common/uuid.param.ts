import { type ArgumentMetadata, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from './domain-error';

const parseUuid = new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailed('id: must be a UUID') });

/**
 * `@Param('id', uuidParam)`: a malformed id is bad input (400), not a missing resource.
 * A valid one comes out in lower case, as the database prints it, so ids compare as
 * strings everywhere after (scope checks, the encryption context of a resident's PII):
 * `PATCH /v1/residents/<UPPER-CASE id>` once sealed a phone under the upper-case id,
 * and the resident could no longer be read (500).
 */
export const uuidParam: PipeTransform<unknown, Promise<string>> = {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<string> {
    return ((await parseUuid.transform(value as string, metadata)) as string).toLowerCase();
  },
};
