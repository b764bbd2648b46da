/** Card chip serial numbers: 4, 7 or 10 bytes of hex, bytes optionally separated by ':', '-' or ' '. */
const BYTES = /^[0-9a-fA-F]{2}(?:[:\- ]?[0-9a-fA-F]{2})*$/;
const LENGTHS = new Set([8, 14, 20]);

/** "04:a1:b2:c3" → "04A1B2C3"; null for anything that is not a card UID. */
export function normalizeUid(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 40 || !BYTES.test(value)) return null;
  const hex = value.replace(/[:\- ]/g, '').toUpperCase();
  return LENGTHS.has(hex.length) ? hex : null;
}

export const NORMALIZED_UID = /^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/;
