import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PiiKeyError, PiiKeyring } from '../common/pii-cipher';
import { type AppConfig, ConfigError } from './app-config';

/** Keys the service needs, from config or, failing that, from files it creates in DATA_DIR. */
export class Secrets {
  constructor(
    /** HMAC key for resident ID numbers. */
    readonly idNumberKey: string,
    /** Ed25519 key that signs door allowlists; controllers hold its public half. */
    readonly accessSigningKey: KeyObject,
    /** Where each secret came from, for the start-up log (never the secret itself). */
    readonly sources: Record<string, 'config' | 'file'>,
    /** Keys that encrypt residents' ID numbers and phones at rest; the first one writes. */
    readonly piiKeys: PiiKeyring,
  ) {}
}

export function loadSecrets(config: AppConfig): Secrets {
  const idNumberKey = config.idNumberKey ?? fileSecret(config.dataDir, 'id-number-hmac.key', () => randomBytes(32).toString('hex'));
  const signingPem = config.accessSigningKey ?? fileSecret(config.dataDir, 'access-ed25519.pem', newEd25519Pem);
  const piiKeys = config.piiKeys ?? fileSecret(config.dataDir, 'pii-keys', () => PiiKeyring.generate('k1'));
  return new Secrets(
    idNumberKey,
    ed25519PrivateKey(signingPem),
    {
      idNumberKey: config.idNumberKey ? 'config' : 'file',
      accessSigningKey: config.accessSigningKey ? 'config' : 'file',
      piiKeys: config.piiKeys ? 'config' : 'file',
    },
    piiKeyring(piiKeys, config.piiKeys ? 'PII_KEYS' : `PII_KEYS (from ${config.dataDir}/secrets/pii-keys)`),
  );
}

/** Parsed and checked at start; the message names the variable and key ids, never a key. */
function piiKeyring(text: string, name: string): PiiKeyring {
  try {
    return PiiKeyring.parse(text, name);
  } catch (err) {
    throw err instanceof PiiKeyError ? new ConfigError(`invalid configuration:\n  ${err.message}`) : err;
  }
}

function newEd25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function ed25519PrivateKey(pem: string): KeyObject {
  // Env files often carry a PEM on one line with literal \n separators.
  const key = createPrivateKey(pem.replace(/\\n/g, '\n'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('ACCESS_SIGNING_KEY must be an Ed25519 private key (PKCS#8 PEM)');
  return key;
}

/** Reads a secret file, creating it on first use. */
function fileSecret(dataDir: string, name: string, create: () => string): string {
  const dir = resolve(dataDir, 'secrets');
  const path = join(dir, name);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(path, 'utf8').trim();
}
