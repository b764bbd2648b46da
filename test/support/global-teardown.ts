import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { readTestEnv } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const env = readTestEnv();
  if (env.mode === 'server' && env.serverUrl && !env.containerId) {
    const admin = new Client({ connectionString: env.serverUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${env.templateDb} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  if (env.containerId) {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await client.container.getById(env.containerId).remove({ force: true, v: true });
  }
  rmSync(env.workDir, { recursive: true, force: true });
}
