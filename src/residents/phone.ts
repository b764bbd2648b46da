/** Mainland mobile numbers (optionally +86) and landlines with an area code, e.g. 021-12345678. */
const MOBILE = /^(?:\+?86)?(1[3-9][0-9]{9})$/;
/** Area codes 010 and 020-029 have three digits, all others four, so the split is unambiguous. */
const LANDLINE = /^(0[12][0-9]|0[3-9][0-9]{2})-?([0-9]{7,8})$/;

/** The number as stored (digits, a landline keeps its hyphen), or null when it is not a phone number. */
export function normalizePhone(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const compact = value.replace(/[\s()]/g, '');
  const mobile = MOBILE.exec(compact);
  if (mobile) return mobile[1];
  const landline = LANDLINE.exec(compact);
  return landline ? `${landline[1]}-${landline[2]}` : null;
}

/** "138****8000", "021-****5678": enough to recognise, not enough to call. */
export function maskPhone(phone: string): string {
  if (phone.includes('-')) {
    const [area, local] = phone.split('-');
    return `${area}-${'*'.repeat(local.length - 4)}${local.slice(-4)}`;
  }
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}
