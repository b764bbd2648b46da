import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const int = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const text = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Everything the service reads from its environment, validated once at start.
 * Nothing else in the code base reads process.env.
 */
export class AppConfig {
  @Transform(int) @IsInt() @Min(0) @Max(65535)
  port = 3000;

  /** Unset: the embedded PostgreSQL (PGlite) in dataDir. */
  @Transform(text) @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  databaseUrl?: string;

  /**
   * Set: migrations run over this connection (the schema owner), and DATABASE_URL is the
   * service's restricted login role, a member of ccard_app. Unset: DATABASE_URL does both.
   */
  @Transform(text) @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_MIGRATION_URL must be a postgres:// URL' })
  databaseMigrationUrl?: string;

  @Transform(text) @IsString() @MinLength(1)
  dataDir = './data';

  @Transform(text) @IsOptional() @IsString() @Matches(/^[\x21-\x7e]{24,255}$/, { message: 'ADMIN_API_KEY must be 24-255 printable ASCII characters without spaces' })
  adminApiKey?: string;

  @Transform(text) @IsIn(LOG_LEVELS)
  logLevel: (typeof LOG_LEVELS)[number] = 'info';

  @Transform(int) @IsInt() @Min(1) @Max(200)
  dbPoolMax = 20;

  /**
   * The key of the keyed hash by which resident ID numbers are found. Unset: generated
   * into DATA_DIR on first start (set it explicitly when several instances share a database).
   */
  @Transform(text) @IsOptional() @IsString() @MinLength(32, { message: 'ID_NUMBER_KEY must be at least 32 characters' })
  idNumberKey?: string;

  /**
   * Keys that encrypt residents' ID numbers and phones at rest (AES-256-GCM): `k2:<base64
   * of 32 bytes>,k1:<...>`, the first for writing, all for reading. Unset: generated into
   * DATA_DIR on first start (set it explicitly when several instances share a database).
   */
  @Transform(text) @IsOptional() @IsString()
  @Matches(/^\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=\s*(,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=\s*)*$/, {
    message: 'PII_KEYS must be a comma-separated list of <id>:<base64 of 32 bytes>, the current key first (ids: 1-32 letters, digits, "_" or "-")',
  })
  piiKeys?: string;

  /**
   * Ed25519 private key (PKCS#8 PEM) that signs door allowlists. Unset: generated into
   * DATA_DIR on first start (set it explicitly when several instances share a database).
   */
  @Transform(text) @IsOptional() @IsString() @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'ACCESS_SIGNING_KEY must be a PKCS#8 PEM private key' })
  accessSigningKey?: string;

  /** Door access events older than this many days are deleted: they are not ledger data. */
  @Transform(int) @IsInt() @Min(1) @Max(3650)
  accessLogRetentionDays = 180;

  /** How often the access log retention job runs. */
  @Transform(int) @IsInt() @Min(1000) @Max(86400000)
  accessLogSweepIntervalMs = 3600000;

  /** The most cash a wallet may hold; a top-up past it is refused (stored-value limit). */
  @Transform(text) @Matches(/^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/, { message: 'CASH_BALANCE_CAP must be an amount in yuan, like 5000.00' })
  cashBalanceCap = '5000.00';

  /** How often expired allowance money is swept back to its programs. */
  @Transform(int) @IsInt() @Min(1000) @Max(60000)
  subsidySweepIntervalMs = 60000;

  /**
   * Requests per second per API key, on every route (0: no limit). A terminal pays or
   * a door checks a few times a minute and a desk page makes a handful of calls, so
   * the default never slows real use; it caps what a stolen key can do.
   */
  @Transform(int) @IsInt() @Min(0) @Max(1000000)
  rateLimitPerSecond = 20;

  /** How often the sealer extends the hash chain; the contract promises within a second. */
  @Transform(int) @IsInt() @Min(10) @Max(1000)
  sealIntervalMs = 200;
}

const ENV_NAMES: Record<keyof AppConfig, string> = {
  port: 'PORT',
  rateLimitPerSecond: 'RATE_LIMIT_PER_SECOND',
  databaseUrl: 'DATABASE_URL',
  databaseMigrationUrl: 'DATABASE_MIGRATION_URL',
  dataDir: 'DATA_DIR',
  adminApiKey: 'ADMIN_API_KEY',
  logLevel: 'LOG_LEVEL',
  dbPoolMax: 'DB_POOL_MAX',
  sealIntervalMs: 'SEAL_INTERVAL_MS',
  idNumberKey: 'ID_NUMBER_KEY',
  piiKeys: 'PII_KEYS',
  cashBalanceCap: 'CASH_BALANCE_CAP',
  subsidySweepIntervalMs: 'SUBSIDY_SWEEP_INTERVAL_MS',
  accessSigningKey: 'ACCESS_SIGNING_KEY',
  accessLogRetentionDays: 'ACCESS_LOG_RETENTION_DAYS',
  accessLogSweepIntervalMs: 'ACCESS_LOG_SWEEP_INTERVAL_MS',
};

export class ConfigError extends Error {}

/** Builds the config from an environment (process.env in production, a literal in tests). */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<AppConfig> = {}): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(ENV_NAMES)) {
    if (env[name] !== undefined) raw[field] = env[name];
  }
  const config = Object.assign(plainToInstance(AppConfig, raw), overrides);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${ENV_NAMES[e.property as keyof AppConfig] ?? e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (config.databaseMigrationUrl && !config.databaseUrl) {
    throw new ConfigError('invalid configuration:\n  DATABASE_MIGRATION_URL: only with DATABASE_URL (the embedded database has one user)');
  }
  return config;
}

/** The one place the process environment is read. */
export function configFromProcessEnv(overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig(process.env, overrides);
}
