import type { Knex } from 'knex';
import { reconcile, type Reconciliation } from '../payments/checks';
import { runLoad } from '../payments/load';

export interface Capacity {
  /** Approved payments per second, closed loop, as bench:payments' spread scenario measures them. */
  approvedPerSecond: number;
  connections: number;
  seconds: number;
  p99Ms: number;
  reconciliation: Reconciliation;
}

/**
 * The spread payment capacity of this machine, now, on the soak's own service and data:
 * bench:payments' spread scenario (a few seconds' warm-up, then as fast as answers come
 * back over `connections`). The soak offers half of it. Measured at the start of every
 * run, because a figure from another machine or another day is not this one's half:
 * the same code measured 3,564/s on one machine of this kind and 2,389/s on another.
 */
export async function measureCapacity(
  db: Knex,
  target: { baseUrl: string; pid: number; uids: readonly string[]; merchantKeys: string[]; runTag: string; ownPostgres: () => Promise<Set<number>> },
  opts: { seconds: number; connections: number },
): Promise<Capacity> {
  const scenario = (id: string, seconds: number) => ({ id, title: `spread, ${opts.connections} connections, ${seconds} s`, connections: opts.connections, seconds, merchantKeys: target.merchantKeys });
  await runLoad(target.baseUrl, scenario('capacity-warmup', 3), target.uids, target.runTag, target.pid, target.ownPostgres);
  const load = await runLoad(target.baseUrl, scenario('capacity', opts.seconds), target.uids, target.runTag, target.pid, target.ownPostgres);
  // Its payments stay in the books (the soak's book checks count them): reconciled here as bench:payments does.
  return {
    approvedPerSecond: load.approvedPerSecond,
    connections: opts.connections,
    seconds: opts.seconds,
    p99Ms: load.latencyMs.p99,
    reconciliation: await reconcile(db, target.runTag, load),
  };
}
