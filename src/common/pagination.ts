import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailed } from './domain-error';

export class PageQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @IsOptional() @IsString() @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to clients: base64url of a small JSON value the server wrote. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, isValid: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the same answer as a well-formed but foreign cursor
  }
  throw new ValidationFailed('cursor: not a cursor this endpoint issued');
}

/** A cursor over a bigint identity column (18 digits stay below bigint's maximum). */
export const isIdCursor = (v: unknown): v is { id: string } => {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[0-9]{1,18}$/.test(id);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor's uuid, exactly as the server writes them (lower case). */
export const isCursorUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/** Years 0001-9999 only: Date writes year 0 and negative years, which PostgreSQL refuses. */
const INSTANT = /^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

/** A cursor's instant, exactly as the server writes them (Date#toISOString): nothing PostgreSQL could refuse. */
export const isCursorInstant = (v: unknown): v is string => {
  if (typeof v !== 'string' || !INSTANT.test(v)) return false;
  const t = Date.parse(v);
  return !Number.isNaN(t) && new Date(t).toISOString() === v;
};
