import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';

interface Sample {
  at: number;
  sealed: number;
  written: number;
}

export interface SealWatch {
  /** Most committed ledger transactions waiting for the hash chain at any sample. */
  maxBacklog: number;
  /** Longest time the chain did not grow while committed transactions waited for it. */
  longestStallMs: number;
  /** Most transactions waiting for the chain at any sample before the disbursement started: the sealer's normal lag under the payment load. */
  backlogBefore: number;
  /** From the disbursement's answer until the backlog was back to `backlogBefore` or less (null: not within the watch). */
  caughtUpAfterAnswerMs: number | null;
  samples: number;
}

/**
 * Samples, every `everyMs`, how far the service's sealer has extended the hash chain
 * against what has committed. The sealer only seals below the oldest transaction still
 * running anywhere, so a long disbursement holds it back for as long as it runs.
 */
export class SealWatcher {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly knex: Knex,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        const { rows } = await this.knex.raw<{ rows: { sealed: number; written: number }[] }>(
          'SELECT (SELECT count(*) FROM ledger_chain)::int AS sealed, (SELECT count(*) FROM ledger_transactions)::int AS written',
        );
        this.samples.push({ at: performance.now(), ...rows[0] });
      } catch {
        // a missed sample is only a gap
      } finally {
        this.busy = false;
      }
    };
    this.timer = setInterval(() => void tick(), this.everyMs);
    this.timer.unref();
  }

  /** Waits (at most `timeoutMs`) until a sample after `answeredAt` shows nothing waiting for the chain. */
  async caughtUp(answeredAt: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.samples.some((s) => s.at >= answeredAt && s.written === s.sealed)) return;
      await new Promise((r) => setTimeout(r, this.everyMs));
    }
  }

  stop(startedAt: number, answeredAt: number): SealWatch {
    if (this.timer) clearInterval(this.timer);
    let longest = 0;
    let stalledSince: number | null = null;
    let lastSealed = -1;
    for (const s of this.samples) {
      const backlog = s.written - s.sealed;
      if (backlog === 0) stalledSince = null;
      else if (s.sealed !== lastSealed || stalledSince === null) stalledSince = s.at;
      else longest = Math.max(longest, s.at - stalledSince);
      lastSealed = s.sealed;
    }
    const backlogBefore = Math.max(0, ...this.samples.filter((s) => s.at < startedAt).map((s) => s.written - s.sealed));
    const caughtUp = this.samples.find((s) => s.at >= answeredAt && s.written - s.sealed <= backlogBefore);
    return {
      maxBacklog: Math.max(0, ...this.samples.map((s) => s.written - s.sealed)),
      backlogBefore,
      longestStallMs: Math.round(longest),
      caughtUpAfterAnswerMs: caughtUp ? Math.round(caughtUp.at - answeredAt) : null,
      samples: this.samples.length,
    };
  }
}
