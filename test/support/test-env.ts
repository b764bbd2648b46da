import { join } from 'node:path';
import { tmpdir } from 'node:os';

/**
 * How the test run reaches its database, decided once in global setup and handed to
 * every test file through the environment (jest workers inherit it).
 */
export interface TestDatabaseEnv {
  mode: 'server' | 'embedded';
  /** server: a maintenance URL on the server and the migrated template database. */
  serverUrl?: string;
  templateDb?: string;
  /** embedded: a migrated PGlite data folder that each test file copies. */
  templateDir?: string;
  workDir: string;
  /** set when global setup started a container that teardown must stop. */
  containerId?: string;
}

const VAR = 'CCARD_TEST_DB';

export function writeTestEnv(env: TestDatabaseEnv): void {
  process.env[VAR] = JSON.stringify(env);
}

export function readTestEnv(): TestDatabaseEnv {
  const raw = process.env[VAR];
  if (!raw) throw new Error('test database not prepared: run the tests through jest (global setup)');
  return JSON.parse(raw) as TestDatabaseEnv;
}

/** Settings the test run reads from its own environment, in one place. */
export function testSettings() {
  return {
    databaseUrl: process.env.TEST_DATABASE_URL || undefined,
    /** TEST_DB=embedded skips the container probe. */
    forced: process.env.TEST_DB,
    workDir: join(tmpdir(), `ccard-test-${process.pid}`),
  };
}
