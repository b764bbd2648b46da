// @ts-check
/**
 * The PRC resident ID number check (GB 11643), as the service applies it
 * (src/residents/id-number.ts), run as the number is typed.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]);

/** @typedef {{ state: 'empty' | 'typing' | 'badChars' | 'badRegion' | 'badDate' | 'badCheck' | 'ok', value: string, birthDate?: string, left?: number }} IdCheck */

/** @param {string} input @returns {IdCheck} */
export function checkIdNumber(input) {
  const value = input.trim().toUpperCase();
  if (value === '') return { state: 'empty', value };
  if (!/^[0-9]{0,17}[0-9X]?$/.test(value) || value.length > 18) return { state: 'badChars', value };
  if (value.length >= 2 && !PROVINCES.has(Number(value.slice(0, 2)))) return { state: 'badRegion', value };
  if (value.length >= 14 && !birthDateOf(value)) return { state: 'badDate', value };
  if (value.length < 18) return { state: 'typing', value, left: 18 - value.length };
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(value[i]), 0);
  if (CHECK_CHARS[sum % 11] !== value[17]) return { state: 'badCheck', value };
  return { state: 'ok', value, birthDate: birthDateOf(value) ?? undefined };
}

/** YYYY-MM-DD of characters 7-14, when they are a real date from 1900 to today. */
function birthDateOf(/** @type {string} */ value) {
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  const iso = date.toISOString().slice(0, 10);
  return iso < '1900-01-01' || iso > new Date().toISOString().slice(0, 10) ? null : iso;
}

/** Looks like someone is typing an ID number rather than a name. */
export const looksLikeIdNumber = (/** @type {string} */ text) => /^[0-9]{6,17}[0-9Xx]?$/.test(text.trim());
