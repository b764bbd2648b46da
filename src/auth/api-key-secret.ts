import { createHash, randomBytes } from 'node:crypto';

/**
 * Keys carry 256 random bits, so a plain SHA-256 is a safe way to store them: there
 * is nothing to brute-force, and lookups by hash stay a single index probe.
 */
export function generateApiKey(): string {
  return `cck_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Enough of a key to recognise it in a list, never enough to use it. */
export function keyPrefix(key: string): string {
  return key.slice(0, 10);
}
