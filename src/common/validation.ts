import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed } from './domain-error';

/** Deeper than any body or query the contract has (an object in an object, an array of strings). */
export const MAX_NESTING = 32;

/**
 * Whether a parsed JSON value nests more than `max` levels, walked level by level with
 * no recursion: a 64 KiB body can nest 30,000 levels, and the recursive walks further
 * on (Nest's ValidationPipe strips `__proto__` keys recursively, class-transformer
 * copies recursively) would overflow the stack and answer 500.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > max) return true;
    const next: unknown[] = [];
    for (const v of level) {
      if (typeof v !== 'object' || v === null) continue;
      for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) next.push(child);
    }
    level = next;
  }
  return false;
}

/** The ValidationPipe, after a bounded look at how deep the input nests. */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if ((metadata.type === 'body' || metadata.type === 'query') && nestedDeeperThan(value, MAX_NESTING)) {
      throw new ValidationFailed(`${metadata.type}: nested more than ${MAX_NESTING} levels deep`);
    }
    return super.transform(value, metadata);
  }
}

/** Names every offending field (nested ones with dots) so a client can fix its request. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((c) => (c.startsWith(e.property) ? `${parent ? parent + '.' : ''}${c}` : `${path}: ${c}`));
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(describeValidationErrors(errors).join('; ') || 'invalid request'),
  });
}
