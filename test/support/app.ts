import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Knex } from 'knex';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { KNEX } from '../../src/db/database.module';
import { createTestDatabase, type TestDatabase } from './database';

export const TEST_ADMIN_KEY = 'cck_test-admin-key-0123456789abcdefghijklmnop';
export const TEST_ID_NUMBER_KEY = 'test-id-number-key-0123456789abcdefghijklmnop';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  /** The app's own knex: on embedded PGlite it is the only connection there is. */
  knex: Knex;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The whole service on a fresh database of its own, with a known admin key. */
export async function startTestApp(options: { config?: Partial<AppConfig>; logStream?: DestinationStream; db?: TestDatabase } = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig(
    {},
    {
      databaseUrl: db.databaseUrl,
      dataDir: db.dataDir,
      adminApiKey: TEST_ADMIN_KEY,
      idNumberKey: TEST_ID_NUMBER_KEY,
      logLevel: 'silent',
      sealIntervalMs: 50,
      // Tests fire hundreds of calls at once through one key; test/security-limits.test.ts turns the limit on.
      rateLimitPerSecond: 0,
      ...options.config,
    },
  );
  const app = await createApp(config, { logStream: options.logStream });
  return {
    app,
    http: request(app.getHttpServer()),
    knex: app.get<Knex>(KNEX),
    db,
    close: async () => {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
