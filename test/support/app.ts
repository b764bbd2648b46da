import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Knex } from 'knex';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { KNEX } from '../../src/db/database.module';
import { createKnex } from '../../src/db/knex';
import { createTestDatabase, type TestDatabase } from './database';

export const TEST_ADMIN_KEY = 'cck_test-admin-key-0123456789abcdefghijklmnop';
export const TEST_ID_NUMBER_KEY = 'test-id-number-key-0123456789abcdefghijklmnop';
/** One key, `test1`: 32 fixed bytes, so every test app on a database can read what another wrote. */
export const TEST_PII_KEYS = `test1:${Buffer.from('test-pii-key-0123456789abcdefghi').toString('base64')}`;

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  /**
   * For the test's own setup and checks, with the owner's rights. Embedded PGlite: the app's
   * own knex, the only connection there is. Server: a pool of its own on the owner's URL,
   * because the app itself serves as a restricted login role (TestDatabase.serviceUrl).
   */
  knex: Knex;
  /** The app's own knex: on a server, connected as the restricted login role. */
  appKnex: Knex;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The whole service on a fresh database of its own, with a known admin key. */
export async function startTestApp(options: { config?: Partial<AppConfig>; logStream?: DestinationStream; db?: TestDatabase } = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig(
    {},
    {
      // Server: the service serves as a member of ccard_app and migrates as the owner,
      // so the whole suite runs the service under its grants (migrations/*_db_roles.ts).
      databaseUrl: db.serviceUrl ?? db.databaseUrl,
      databaseMigrationUrl: db.serviceUrl ? db.databaseUrl : undefined,
      dataDir: db.dataDir,
      adminApiKey: TEST_ADMIN_KEY,
      idNumberKey: TEST_ID_NUMBER_KEY,
      piiKeys: TEST_PII_KEYS,
      logLevel: 'silent',
      sealIntervalMs: 50,
      // Tests fire hundreds of calls at once through one key; test/security-limits.test.ts turns the limit on.
      rateLimitPerSecond: 0,
      ...options.config,
    },
  );
  const app = await createApp(config, { logStream: options.logStream });
  const appKnex = app.get<Knex>(KNEX);
  const ownerKnex = db.mode === 'server' ? createKnex({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, poolMax: 40 }) : undefined;
  return {
    app,
    http: request(app.getHttpServer()),
    knex: ownerKnex ?? appKnex,
    appKnex,
    db,
    close: async () => {
      await app.close();
      await ownerKnex?.destroy();
      if (!options.db) await db.drop();
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
