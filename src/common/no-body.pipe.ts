import { type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from './domain-error';

/**
 * `@Body(NoBody)` on a route that takes no body: anything sent is refused, like an
 * unknown field on any other route, so a client never believes a field took effect.
 */
export const NoBody: PipeTransform = {
  transform(value: unknown) {
    if (value === undefined || value === null) return undefined;
    const fields = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : ['body'];
    if (fields.length > 0) throw new ValidationFailed(fields.map((f) => `${f}: property ${f} should not exist`).join('; '));
    return undefined;
  },
};
