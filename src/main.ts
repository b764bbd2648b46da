import 'reflect-metadata';
import { createApp } from './app';
import { configFromProcessEnv, ConfigError } from './config/app-config';

async function main(): Promise<void> {
  const config = configFromProcessEnv();
  const app = await createApp(config);
  await app.listen({ port: config.port, host: '0.0.0.0' });
}

main().catch((err) => {
  // Configuration mistakes are the operator's to fix: say what is wrong, without a stack trace.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
