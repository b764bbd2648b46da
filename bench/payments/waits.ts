import type { Knex } from 'knex';

/**
 * What the service's database sessions were doing during a scenario, sampled from
 * pg_stat_activity every 100 ms: running (CPU), waiting for a lock (another batch holds
 * a row it needs), waiting for the client (the service has not sent the next
 * statement), or committing (WAL flush). Shares of all samples of non-idle sessions,
 * plus how many sessions were in a transaction on average: the batches in flight.
 */
export interface WaitSummary {
  samples: number;
  /** Average sessions in a transaction (active or idle in transaction) per sample. */
  averageInTransaction: number;
  /** Percent of session-samples by what they were doing, e.g. "running", "Lock:transactionid", "Client:ClientRead". */
  shares: Record<string, number>;
}

const INTERVAL_MS = 100;

export function startWaitSampler(db: Knex, database: string): () => Promise<WaitSummary> {
  const counts = new Map<string, number>();
  let samples = 0;
  let inTransaction = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await db.raw<{ rows: { state: string; wait: string | null }[] }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
         WHERE datname = ? AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`,
        [database],
      );
      samples++;
      for (const r of rows) {
        inTransaction++;
        // An idle-in-transaction session waits for the service's next statement.
        const what = r.state === 'idle in transaction' ? 'idle in transaction (waiting for the service)' : (r.wait ?? 'running');
        counts.set(what, (counts.get(what) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const shares = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, Math.round((1000 * n) / Math.max(total, 1)) / 10]));
    return { samples, averageInTransaction: Math.round((100 * inTransaction) / Math.max(samples, 1)) / 100, shares };
  };
}
