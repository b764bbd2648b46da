import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  test('defaults: embedded database in ./data on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, dataDir: './data', logLevel: 'info', dbPoolMax: 20, sealIntervalMs: 200 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminApiKey).toBeUndefined();
  });

  test('reads and converts the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/card',
      DATA_DIR: '/var/lib/card',
      ADMIN_API_KEY: 'x'.repeat(32),
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '8',
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://u@db:5432/card', dataDir: '/var/lib/card', logLevel: 'warn', dbPoolMax: 8 });
  });

  test('PII_KEYS: a keyring of <id>:<base64 of 32 bytes>, current first', () => {
    const keys = `k2:${'A'.repeat(43)}=, k1:${'B'.repeat(43)}=`;
    expect(loadConfig({ PII_KEYS: keys }).piiKeys).toBe(keys);
  });

  test('empty values count as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', ADMIN_API_KEY: '' })).toMatchObject({ databaseUrl: undefined, adminApiKey: undefined });
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DB_POOL_MAX: '0' }, 'DB_POOL_MAX'],
    [{ PII_KEYS: 'k1:c2hvcnQ=' }, 'PII_KEYS'],
    [{ PII_KEYS: `k1:${'A'.repeat(43)}=,` }, 'PII_KEYS'],
    [{ PII_KEYS: `k:1:${'A'.repeat(43)}=` }, 'PII_KEYS'],
  ])('refuses %p naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
