import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createKnex } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrations';
import { testSettings, writeTestEnv, type TestDatabaseEnv } from './test-env';

const CONTAINER_PROBE_MS = 3000;

/**
 * Picks the test database: TEST_DATABASE_URL if set; else a PostgreSQL container if a
 * container runtime answers within 3 s; else embedded PGlite. Then migrates a template
 * once, so each test file starts from a copy in moments.
 */
export default async function globalSetup(): Promise<void> {
  const settings = testSettings();
  rmSync(settings.workDir, { recursive: true, force: true });
  mkdirSync(settings.workDir, { recursive: true });

  let env: TestDatabaseEnv;
  if (settings.databaseUrl) {
    env = await serverTemplate(settings.databaseUrl, settings.workDir);
  } else {
    const container = settings.forced === 'embedded' ? null : await startContainer();
    env = container
      ? { ...(await serverTemplate(container.url, settings.workDir)), containerId: container.id }
      : await embeddedTemplate(settings.workDir);
  }
  writeTestEnv(env);
  process.stderr.write(`\ntest database: ${env.mode === 'server' ? `PostgreSQL server (template ${env.templateDb})` : 'embedded PGlite'}\n`);
}

async function serverTemplate(url: string, workDir: string): Promise<TestDatabaseEnv> {
  const templateDb = `ccard_tmpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${templateDb}`);
  } finally {
    await admin.end();
  }
  const knex = createKnex({ databaseUrl: withDatabase(url, templateDb), dataDir: '', poolMax: 2 });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  return { mode: 'server', serverUrl: url, templateDb, workDir };
}

async function embeddedTemplate(workDir: string): Promise<TestDatabaseEnv> {
  const templateDir = join(workDir, 'template');
  const knex = createKnex({ dataDir: templateDir, poolMax: 1 });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  return { mode: 'embedded', templateDir, workDir };
}

/** Testcontainers, bounded: a DOCKER_HOST that accepts and never answers would otherwise hang. */
async function startContainer(): Promise<{ id: string; url: string } | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const probe = getContainerRuntimeClient();
    probe.catch(() => undefined);
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), CONTAINER_PROBE_MS).unref());
    if (!(await Promise.race([probe, timeout]))) return null;
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    return { id: container.getId(), url: container.getConnectionUri() };
  } catch {
    return null;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
