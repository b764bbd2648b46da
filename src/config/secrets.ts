import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from './app-config';

/** Keys the service needs, from config or, failing that, from files it creates in DATA_DIR. */
export class Secrets {
  constructor(
    /** HMAC key for resident ID numbers. */
    readonly idNumberKey: string,
    /** Where each secret came from, for the start-up log (never the secret itself). */
    readonly sources: Record<string, 'config' | 'file'>,
  ) {}
}

export function loadSecrets(config: AppConfig): Secrets {
  if (config.idNumberKey) return new Secrets(config.idNumberKey, { idNumberKey: 'config' });
  return new Secrets(fileSecret(config.dataDir, 'id-number-hmac.key'), { idNumberKey: 'file' });
}

/** Reads a secret file, creating it with 256 random bits on first use. */
function fileSecret(dataDir: string, name: string): string {
  const dir = resolve(dataDir, 'secrets');
  const path = join(dir, name);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(path, 'utf8').trim();
}
