import { applyDecorators } from '@nestjs/common';
import { IsISO8601, MaxLength, ValidateBy } from 'class-validator';

/**
 * An ISO 8601 instant that JavaScript and PostgreSQL both read: strict ISO 8601, and
 * one Date can parse (ISO week dates like 2026-W49-1 and ordinal dates like 2026-335
 * pass the first check only, and would answer 500 "Invalid time value").
 */
export function IsInstant(): PropertyDecorator {
  return applyDecorators(
    IsISO8601({ strict: true }),
    MaxLength(40),
    ValidateBy({
      name: 'isInstant',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a date-time like 2026-12-01T00:00:00Z`,
      },
    }),
  );
}
