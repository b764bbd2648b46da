import { createHmac } from 'node:crypto';

/**
 * PRC resident ID numbers (GB 11643-1999): 6 digits of region, 8 of birth date
 * (YYYYMMDD), 3 of sequence, and a check character computed over the first 17.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** First two digits: the province-level divisions that issue resident ID numbers. */
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]);

/** Upper-cases a trailing x; anything else is returned as given, to be judged by `isValidIdNumber`. */
export function normalizeIdNumber(value: string): string {
  return value.trim().toUpperCase();
}

export function checkCharacter(first17: string): string {
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0);
  return CHECK_CHARS[sum % 11];
}

/** The birth date an ID number encodes, as YYYY-MM-DD, or null when it is not a real date. */
export function birthDateOf(idNumber: string): string | null {
  const y = Number(idNumber.slice(6, 10));
  const m = Number(idNumber.slice(10, 12));
  const d = Number(idNumber.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** A well-formed number: region, a plausible birth date (1900 to today), and the right check character. */
export function isValidIdNumber(value: unknown, today = new Date()): value is string {
  if (typeof value !== 'string' || !/^[0-9]{17}[0-9X]$/.test(value)) return false;
  if (!PROVINCES.has(Number(value.slice(0, 2)))) return false;
  const birth = birthDateOf(value);
  if (!birth || birth < '1900-01-01' || birth > today.toISOString().slice(0, 10)) return false;
  return checkCharacter(value.slice(0, 17)) === value[17];
}

/** What may be shown: region and the last four, as "310115********1234". */
export function maskIdNumber(idNumber: string): string {
  return `${idNumber.slice(0, 6)}********${idNumber.slice(14)}`;
}

/**
 * The keyed hash residents are found by. Keyed, because the space of ID numbers is
 * small enough to enumerate: a plain hash in a leaked database would reveal them all.
 */
export function hashIdNumber(idNumber: string, key: string): string {
  return createHmac('sha256', key).update(idNumber, 'utf8').digest('hex');
}
