import { performance } from 'node:perf_hooks';

/** One payment as the terminal saw it: when it was sent and answered (ms on the bench's clock), and how. */
export interface PaymentSample {
  sentAt: number;
  answeredAt: number;
  status: number;
  error?: string;
}

/**
 * A light, open-loop payment load: a new POST /v1/payments every 1000/rate ms on
 * the schedule, whether or not earlier ones were answered, so a stalled service
 * shows up as latency and a backlog, never as politely fewer requests.
 */
export class PaymentLoad {
  private readonly samples: PaymentSample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private t0 = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly merchantKey: string,
    private readonly uids: string[],
    private readonly rate: number,
    private readonly runTag: string,
  ) {}

  start(): void {
    if (this.rate <= 0) return;
    this.t0 = performance.now();
    const interval = 1000 / this.rate;
    const tick = () => {
      // Catch up on the schedule after a late timer, so the rate is kept on average.
      const due = Math.floor((performance.now() - this.t0) / interval) + 1;
      while (this.sent < due) this.fire(this.sent++);
      this.timer = setTimeout(tick, Math.max(1, interval / 2));
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<PaymentSample[]> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all([...this.inFlight]);
    return this.samples;
  }

  private fire(n: number): void {
    const sentAt = performance.now();
    const body = JSON.stringify({ uid: this.uids[n % this.uids.length], amount: '0.50', description: '午餐' });
    const p = fetch(`${this.baseUrl}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.merchantKey}`, 'content-type': 'application/json', 'idempotency-key': `bench-disburse-${this.runTag}-${n}` },
      body,
    })
      .then(async (res) => {
        await res.arrayBuffer();
        this.samples.push({ sentAt, answeredAt: performance.now(), status: res.status });
      })
      .catch((err: Error) => {
        this.samples.push({ sentAt, answeredAt: performance.now(), status: 0, error: err.message });
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}

export interface WindowStats {
  /** Payments sent inside the window. */
  sent: number;
  /** Payments whose answer arrived inside the window (whenever sent). */
  answered: number;
  /** Status code → count, for the payments sent inside the window. */
  statuses: Record<string, number>;
  /** Latency of the payments sent inside the window. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The longest time inside the window in which no payment was answered (null: no load ran). */
  longestSilenceMs: number | null;
}

/** What the payment load saw in [from, to) on the bench's clock. */
export function windowStats(samples: PaymentSample[], from: number, to: number): WindowStats {
  const sent = samples.filter((s) => s.sentAt >= from && s.sentAt < to);
  const answeredTimes = samples.filter((s) => s.answeredAt >= from && s.answeredAt < to).map((s) => s.answeredAt).sort((a, b) => a - b);
  const latencies = sent.map((s) => s.answeredAt - s.sentAt).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const s of sent) statuses[s.status === 0 ? 'network error' : String(s.status)] = (statuses[s.status === 0 ? 'network error' : String(s.status)] ?? 0) + 1;
  let silence = 0;
  let last = from;
  for (const t of [...answeredTimes, to]) {
    silence = Math.max(silence, t - last);
    last = t;
  }
  return {
    sent: sent.length,
    answered: answeredTimes.length,
    statuses,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.length ? round(latencies[latencies.length - 1]) : null,
    longestSilenceMs: samples.length === 0 ? null : round(silence),
  };
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
