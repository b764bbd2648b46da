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
      ? { ...(await serverTemplate(container.url, settings.workDir, new URL(container.url).password)), containerId: container.id }
      : await embeddedTemplate(settings.workDir);
  }
  writeTestEnv(env);
  process.stderr.write(`\ntest database: ${env.mode === 'server' ? `PostgreSQL server (template ${env.templateDb})` : 'embedded PGlite'}\n`);
}

/** `loginPassword`: for a server that wants passwords (the throwaway container), the test login's. */
async function serverTemplate(url: string, workDir: string, loginPassword?: string): Promise<TestDatabaseEnv> {
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
  await ensureServiceLogin(url, loginPassword);
  return { mode: 'server', serverUrl: url, templateDb, workDir };
}

/**
 * The login role the server-mode test apps serve as: a member of ccard_app (created by
 * the migrations) and nothing else, like README's ccard_service. On TEST_DATABASE_URL it
 * has no password: the server must let it in as it lets in the URL's user without one
 * (trust for local connections, as .ci/run sets up); in the container it has the
 * container's password.
 */
export const TEST_SERVICE_LOGIN = 'ccard_test_service';

/** Roles are the cluster's, shared by every run: created once, left in place, raced safely. */
async function ensureServiceLogin(url: string, password?: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${TEST_SERVICE_LOGIN}') THEN
          BEGIN
            CREATE ROLE ${TEST_SERVICE_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE ccard_app;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END;
        END IF;
        IF NOT pg_has_role('${TEST_SERVICE_LOGIN}', 'ccard_app', 'MEMBER') THEN
          GRANT ccard_app TO ${TEST_SERVICE_LOGIN};
        END IF;
      END $$`);
    if (password) await admin.query(`ALTER ROLE ${TEST_SERVICE_LOGIN} PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
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

/** The same server and database as `user`, with `password` or none. */
export function withUser(url: string, user: string, password = ''): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
