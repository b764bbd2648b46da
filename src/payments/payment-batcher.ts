import { Injectable, Logger } from '@nestjs/common';
import type { Knex } from 'knex';
import { Idempotency, type Outcome } from '../common/idempotency';
import { InjectKnex } from '../db/database.module';
import { inTransaction } from '../db/transaction';
import { postPaymentBatch, type PaymentOutcome, type PaymentRequest } from './payment-batch';

/** Concurrent batch transactions: enough to keep the database busy while one commits. */
const MAX_IN_FLIGHT = 4;
const MAX_BATCH = 400;

interface Pending {
  request: PaymentRequest;
  resolve: (o: Outcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Shares database work between concurrent payments. Requests queue up; whenever
 * fewer than MAX_IN_FLIGHT batches are running, everything queued goes out as one
 * batch transaction. At low load a payment waits for no one (a batch of one); under
 * load, batches grow by themselves while earlier ones commit. Every payment is
 * committed before it is answered.
 */
@Injectable()
export class PaymentBatcher {
  private readonly logger = new Logger(PaymentBatcher.name);
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly idempotency: Idempotency,
  ) {}

  submit(request: PaymentRequest): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate lets every request parsed in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        this.inFlight++;
        void this.run(batch).finally(() => {
          this.inFlight--;
          this.schedule();
        });
      }
    });
  }

  private async run(batch: Pending[]): Promise<void> {
    const { primaries, repeats } = groupByKey(batch);
    let outcomes: (PaymentOutcome | null)[];
    try {
      outcomes = await inTransaction(this.knex, (trx) => postPaymentBatch(trx, primaries.map((p) => p.request)));
    } catch (err) {
      if (primaries.length > 1) {
        // One bad request must not fail the others: retry each on its own.
        this.logger.warn({ err }, `payment batch of ${primaries.length} failed; retrying one by one`);
        for (const p of batch) void this.run([p]);
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
