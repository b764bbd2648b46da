/** What a bench run can be told from outside; the only place the bench reads the environment. */
export interface BenchOptions {
  /** A PostgreSQL server URL pointing at a maintenance database; scratch databases are made beside it. */
  serverUrl: string;
  secondsPerScenario: number;
  clients: number;
}

export function readBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  return {
    serverUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    secondsPerScenario: positiveInt(env.BENCH_SECONDS, 10, 'BENCH_SECONDS'),
    clients: positiveInt(env.BENCH_CLIENTS, 16, 'BENCH_CLIENTS'),
  };
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** The same server URL pointing at another database. */
export function urlForDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Connection flags for the PostgreSQL command-line tools, taken from the URL. */
export function cliConnection(serverUrl: string): { args: string[]; password?: string } {
  const url = new URL(serverUrl);
  const args = ['-h', url.hostname || '127.0.0.1', '-p', url.port || '5432', '-U', decodeURIComponent(url.username) || 'postgres'];
  return { args, password: url.password ? decodeURIComponent(url.password) : undefined };
}
