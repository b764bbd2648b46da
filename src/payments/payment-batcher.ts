import { Injectable, Logger } from '@nestjs/common';
import type { Knex } from 'knex';
import { Idempotency, type Outcome } from '../common/idempotency';
import { InjectKnex } from '../db/database.module';
import { inTransaction } from '../db/transaction';
import { HOT_SHARDS, randomShard } from '../ledger/knex-ledger.store';
import { postPaymentBatch, type PaymentOutcome, type PaymentRequest } from './payment-batch';

/** Concurrent batch transactions: enough to keep the database busy while one commits. */
const MAX_IN_FLIGHT = 4;
const MAX_BATCH = 400;
/**
 * While a batch runs, another starts only once this many requests are queued. A batch
 * costs about as much CPU for its statements as for its payments, so at moderate load
 * four batches of one or two payments each cost twice what one batch of eight does,
 * and the waiting is shorter than the CPU that saves. Under heavy load the queue is
 * long and all MAX_IN_FLIGHT run.
 */
const QUEUE_FOR_ANOTHER_BATCH = 16;

interface Pending {
  request: PaymentRequest;
  resolve: (o: Outcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Shares database work between concurrent payments. Requests queue up; when no batch
 * is running, or fewer than MAX_IN_FLIGHT are and the queue is long, what is queued
 * goes out as one batch transaction. At low load a payment waits for no one (a batch
 * of one); under load, batches grow by themselves while earlier ones commit. Every
 * payment is committed before it is answered.
 *
 * Batches running at the same time must not wait on each other's row locks, or they
 * commit one after another: each credits merchants on a hot-account shard of its
 * own, and a request for a card that a running batch holds waits for the next batch
 * instead of joining one that would block on that card's wallet.
 */
@Injectable()
export class PaymentBatcher {
  private readonly logger = new Logger(PaymentBatcher.name);
  private queue: Pending[] = [];
  private scheduled = false;
  /** Shards held by running batches; offset per process so that instances rarely share one. */
  private readonly freeShards: number[];
  /** UIDs in running batches, with how many of their requests each holds. */
  private readonly busyUids = new Map<string, number>();

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly idempotency: Idempotency,
  ) {
    const offset = randomShard();
    this.freeShards = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => (offset + i) % HOT_SHARDS);
  }

  submit(request: PaymentRequest): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.freeShards.length === 0 || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate lets every request parsed in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.freeShards.length > 0) {
        const running = MAX_IN_FLIGHT - this.freeShards.length;
        if (running > 0 && this.queue.length < QUEUE_FOR_ANOTHER_BATCH) return;
        const batch = this.takeBatch();
        if (batch.length === 0) return;
        const shard = this.freeShards.pop()!;
        for (const p of batch) this.busyUids.set(p.request.uid, (this.busyUids.get(p.request.uid) ?? 0) + 1);
        void this.run(batch, shard).finally(() => {
          for (const p of batch) {
            const n = this.busyUids.get(p.request.uid)! - 1;
            if (n === 0) this.busyUids.delete(p.request.uid);
            else this.busyUids.set(p.request.uid, n);
          }
          this.freeShards.push(shard);
          this.schedule();
        });
      }
    });
  }

  /** Up to MAX_BATCH queued requests, oldest first, leaving those whose card a running batch holds. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const waiting: Pending[] = [];
    let i = 0;
    for (; i < this.queue.length && batch.length < MAX_BATCH; i++) {
      const p = this.queue[i];
      (this.busyUids.has(p.request.uid) ? waiting : batch).push(p);
    }
    this.queue = waiting.concat(this.queue.slice(i));
    return batch;
  }

  private async run(batch: Pending[], shard: number): Promise<void> {
    const { primaries, repeats } = groupByKey(batch);
    let outcomes: (PaymentOutcome | null)[];
    try {
      outcomes = await inTransaction(this.knex, (trx) => postPaymentBatch(trx, primaries.map((p) => p.request), shard));
    } catch (err) {
      if (primaries.length > 1) {
        // One bad request must not fail the others: retry each on its own.
        this.logger.warn({ err }, `payment batch of ${primaries.length} failed; retrying one by one`);
        for (const p of batch) await this.run([p], shard);
        return;
      }
      for (const p of batch) p.reject(err);
      return;
    }
    const settled = await Promise.allSettled(primaries.map((p, i) => this.outcomeFor(p, outcomes[i])));
    primaries.forEach((p, i) => settle(p, settled[i]));
    // A repeated key follows what is stored for it, which tells a retry from a reuse.
    await Promise.all(
      repeats.map(async (repeat) => {
        const [result] = await Promise.allSettled([this.idempotency.replay(repeat.request.idempotency)]);
        settle(repeat, result);
      }),
    );
  }

  /** A request whose key was claimed by another transaction gets that transaction's stored outcome. */
  private async outcomeFor(p: Pending, outcome: PaymentOutcome | null): Promise<Outcome> {
    return outcome ? { ...outcome, replayed: false } : this.idempotency.replay(p.request.idempotency);
  }
}

function settle(p: Pending, result: PromiseSettledResult<Outcome>): void {
  if (result.status === 'fulfilled') p.resolve(result.value);
  else p.reject(result.reason);
}

/** Two requests with one key in one batch: the first goes to the database, the second replays what is stored. */
function groupByKey(batch: Pending[]) {
  const seen = new Set<string>();
  const primaries: Pending[] = [];
  const repeats: Pending[] = [];
  for (const p of batch) {
    const k = `${p.request.idempotency.apiKeyId}\n${p.request.idempotency.key}`;
    (seen.has(k) ? repeats : primaries).push(p);
    seen.add(k);
  }
  return { primaries, repeats };
}
