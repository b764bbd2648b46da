import type { Endpoint, Schema } from './endpoints';

/**
 * A small, one-sided reading of the HTTP contract (../shared/docs/api.md): it says when
 * a request is *certainly* bad input, so the service must refuse it (4xx). It never
 * claims a request is valid; when unsure it says nothing. The generator uses it to know
 * which requests to a money-moving endpoint are safe to send (every one must be
 * refused, or the ledger snapshot would move) and to check that bad input is refused.
 */

/** Marks a JSON value the generator writes as literal text (1e400, -0, deep nesting...). */
export class RawJson {
  constructor(
    readonly text: string,
    /** The JSON type the text parses to, for the checks below. */
    readonly type: 'number' | 'array' | 'object' | 'string' | 'boolean' | 'null',
    readonly integer = false,
  ) {}
}

/** JSON text of a value that may hold RawJson leaves. Objects stay shallow here: deep ones are RawJson. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : toJsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const MONEY = /^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UID_BYTES = /^[0-9a-fA-F]{2}(?:[:\- ]?[0-9a-fA-F]{2})*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD = /^\d{4}-\d{2}$/;
const HHMM = /^\d{2}:\d{2}$/;
export const STATION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export type FieldKind = 'money' | 'moneyPattern' | 'uuid' | 'uid' | 'idNumber' | 'phone' | 'day' | 'period' | 'hhmm' | 'int' | 'string' | 'enum' | 'array' | 'object' | 'any';

/** What a body field is, by its name and schema. */
export function fieldKind(name: string, schema: Schema | undefined): FieldKind {
  const s = schema ?? {};
  if (s.enum) return 'enum';
  if (s.properties) return 'object';
  if (s.type === 'array') return 'array';
  if (s.type === 'number' || s.type === 'integer') return 'int';
  if (name === 'amount' || name === 'goal') return 'money';
  if (name === 'minSpend') return 'moneyPattern';
  if (name === 'uid') return 'uid';
  if (name === 'idNumber') return 'idNumber';
  if (name === 'phone') return 'phone';
  if (/Id$/.test(name) || s.format === 'uuid') return 'uuid';
  if (['birthDate', 'dueDate', 'validFrom', 'validUntil', 'date'].includes(name)) return 'day';
  if (name === 'period') return 'period';
  if (name === 'from' || name === 'to') return 'hhmm';
  if (s.type === 'string') return 'string';
  return 'any';
}

const typeOf = (v: unknown): string => (v instanceof RawJson ? v.type : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isPlainObject = (v: unknown) => typeOf(v) === 'object';
/**
 * Keys the pipes treat specially: no claim either way. ("__proto__" is claimed: Fastify's
 * parser refuses it, and so does the fast lane.)
 */
const SPECIAL_KEYS = new Set(['constructor', 'prototype']);

/** Why a value is certainly bad for a field of this kind; undefined when it may be fine. */
export function fieldViolation(kind: FieldKind, value: unknown, schema: Schema | undefined, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const t = typeOf(value);
  const str = typeof value === 'string' ? value : undefined;
  switch (kind) {
    case 'money':
      if (str === undefined || !MONEY.test(str)) return `${at}: not a money string`;
      if (Number(str) === 0) return `${at}: zero`;
      return undefined;
    case 'moneyPattern':
      return str === undefined || !MONEY.test(str) ? `${at}: not a money string` : undefined;
    case 'uuid':
      return str === undefined || !UUID.test(str) ? `${at}: not a UUID` : undefined;
    case 'uid': {
      if (str === undefined || str.length > 40 || !UID_BYTES.test(str)) return `${at}: not a card UID`;
      const hex = str.replace(/[:\- ]/g, '');
      return [8, 14, 20].includes(hex.length) ? undefined : `${at}: not 4, 7 or 10 bytes`;
    }
    case 'idNumber':
      return str === undefined ? `${at}: not a string` : undefined;
    case 'day':
      return str === undefined || !DAY.test(str) ? `${at}: not YYYY-MM-DD` : undefined;
    case 'period':
      return str === undefined || !PERIOD.test(str) ? `${at}: not YYYY-MM` : undefined;
    case 'hhmm':
      return str === undefined || !HHMM.test(str) ? `${at}: not HH:MM` : undefined;
    case 'int':
      if (value instanceof RawJson) return value.type !== 'number' || !value.integer ? `${at}: not an integer` : undefined;
      return typeof value !== 'number' || !Number.isInteger(value) ? `${at}: not an integer` : undefined;
    case 'string':
      return str === undefined ? `${at}: not a string` : undefined;
    case 'enum':
      return str === undefined || !(schema?.enum ?? []).includes(str) ? `${at}: not one of ${JSON.stringify(schema?.enum)}` : undefined;
    case 'array': {
      if (t !== 'array') return `${at}: not an array`;
      if (!Array.isArray(value)) return undefined;
      const itemKind = fieldKind(at.endsWith('doorIds') ? 'doorId' : 'item', schema?.items);
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null || item === undefined) return `${at}[${i}]: null`;
        const bad = itemKind === 'uuid' || itemKind === 'string' ? fieldViolation(itemKind, item, schema?.items, `${at}[${i}]`) : undefined;
        if (bad) return bad;
      }
      return undefined;
    }
    case 'object':
      if (!isPlainObject(value)) return `${at}: not an object`;
      return value instanceof RawJson ? undefined : objectViolation(schema!, value as Record<string, unknown>, at);
    default:
      return undefined;
  }
}

function objectViolation(schema: Schema, value: Record<string, unknown>, at: string): string | undefined {
  const props = schema.properties ?? {};
  for (const key of Object.keys(value)) {
    if (value[key] === undefined || SPECIAL_KEYS.has(key)) continue;
    if (!(key in props)) return `${at ? at + '.' : ''}${key}: unknown field`;
  }
  for (const r of schema.required ?? []) {
    if (value[r] === undefined || value[r] === null) return `${at ? at + '.' : ''}${r}: required, missing`;
  }
  for (const [key, s] of Object.entries(props)) {
    const bad = fieldViolation(fieldKind(key, s), value[key], s, at ? `${at}.${key}` : key);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Why a JSON body (parsed, or marked RawJson) is certainly bad for the endpoint.
 * `undefined` body: none was sent. Null is not claimed: Nest reads it as an empty body.
 */
export function bodyViolation(endpoint: Endpoint, body: unknown): string | undefined {
  if (endpoint.body === 'refuses-body') {
    if (body === undefined || body === null) return undefined;
    if (!isPlainObject(body)) return 'a body on a route that takes none';
    if (body instanceof RawJson) return 'a body on a route that takes none';
    return Object.keys(body as object).some((k) => !SPECIAL_KEYS.has(k)) ? 'a body on a route that takes none' : undefined;
  }
  if (endpoint.body !== 'json' || !endpoint.schema) return undefined;
  if (body === undefined || body === null) {
    return (endpoint.schema.required ?? []).length > 0 ? 'no body, but fields are required' : undefined;
  }
  if (!isPlainObject(body)) return `body is a JSON ${typeOf(body)}, not an object`;
  if (body instanceof RawJson) return undefined;
  return objectViolation(endpoint.schema, body as Record<string, unknown>, '');
}

/** The contract's error body: `{statusCode, code, message}` with a stable snake_case code. */
export const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export function errorBodyProblem(status: number, contentType: string | undefined, body: Buffer): string | undefined {
  if (!/^application\/json\b/i.test(contentType ?? '')) return `content-type ${JSON.stringify(contentType)}, not JSON`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const b = parsed as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'body is not an object';
  if (b.statusCode !== status) return `statusCode ${JSON.stringify(b.statusCode)} differs from the HTTP status ${status}`;
  if (typeof b.code !== 'string' || !SNAKE.test(b.code)) return `code ${JSON.stringify(b.code)} is not a snake_case word`;
  if (typeof b.message !== 'string') return 'message is not a string';
  return undefined;
}
