import type { Knex } from 'knex';
import { reconcile, type Reconciliation } from '../payments/checks';
import { runLoad } from '../payments/load';
import { sleep } from '../payments/service';
import { mergeCells, PacedClient } from './load';
import type { SoakMix } from './mix';

/** What the soak's rate is half of, and how it was measured. */
export interface SoakCapacity {
  /** bench:payments' spread figure on this service and data: payments alone, closed loop. */
  spread: Capacity;
  /** The whole mix offered beyond what the machine takes: payments answered per second with everything else running beside them. */
  mix: MixCapacity;
}

export interface MixCapacity {
  offeredPaymentsPerSecond: number;
  paymentsPerSecond: number;
  requestsPerSecond: number;
  seconds: number;
}

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
 * back over `connections`). Measured at the start of every run, because a figure from
 * another machine or another day is not this one's: the same code measured 3,564/s on
 * one machine of this kind and 2,389/s on another.
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

/**
 * The payment capacity with the soak's whole mix beside the payments, on this machine,
 * with this client: the mix offered at `overloadPaymentRate` (more than the machine
 * takes) for a short while, and the payments answered per second counted. On two cores
 * shared by the service, PostgreSQL and the client, the mix's top-ups, refunds, reads,
 * lists and door checks and the open-loop client itself take about half of what payments
 * alone would get, and small batches cost more per payment than the full ones of the
 * spread scenario: half of the spread figure is the whole machine under this mix, so the
 * soak offers half of this one. Uses the soak's own mix, so its payments, refunds and
 * top-ups are reconciled with the rest of the run.
 */
export async function measureMixCapacity(
  baseUrl: string,
  mix: SoakMix,
  overloadPaymentRate: number,
  opts: { seconds: number; sockets: number; maxInFlight: number; timeoutMs: number },
): Promise<MixCapacity> {
  const warmupSeconds = 5;
  const client = new PacedClient(baseUrl, mix.kinds(overloadPaymentRate), { ...opts, warmupSeconds, sampleSeconds: opts.seconds });
  client.start();
  await sleep((warmupSeconds + opts.seconds) * 1000);
  await client.stop();
  const cells = [...client.intervals[0].values()];
  const payments = client.intervals[0].get('payment');
  return {
    offeredPaymentsPerSecond: overloadPaymentRate,
    paymentsPerSecond: Math.round(((payments?.answered ?? 0) / opts.seconds) * 10) / 10,
    requestsPerSecond: Math.round((mergeCells(cells).answered / opts.seconds) * 10) / 10,
    seconds: opts.seconds,
  };
}
