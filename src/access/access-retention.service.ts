import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { AllowlistRepository } from './allowlist.repository';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Deleted in slices, so the job never holds a long lock on a busy table. */
const SLICE = 10000;
/** Removals are kept this long for deltas; a controller offline for longer gets a full list. */
const TOMBSTONE_DAYS = 30;

/** Deletes access events older than ACCESS_LOG_RETENTION_DAYS, and old allowlist removals. */
@Injectable()
export class AccessRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccessRetentionService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<{ events: number; tombstones: number }> | undefined;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly lists: AllowlistRepository,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.accessLogSweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sweep(now = new Date()): Promise<{ events: number; tombstones: number }> {
    this.running ??= this.run(now)
      .catch((err) => {
        this.logger.error({ err: { message: (err as Error).message } }, 'access log retention failed; will retry');
        return { events: 0, tombstones: 0 };
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(now: Date): Promise<{ events: number; tombstones: number }> {
    const cutoff = new Date(now.getTime() - this.config.accessLogRetentionDays * DAY_MS);
    let events = 0;
    for (;;) {
      // The ids, not the count: knex-pglite answers a DELETE with a result object, not a number.
      const deleted = (
        await this.knex('access_events')
          .whereIn('id', this.knex('access_events').where('at', '<', cutoff).orderBy('id').limit(SLICE).select('id'))
          .delete()
          .returning('id')
      ).length;
      events += deleted;
      if (deleted < SLICE) break;
    }
    const tombstones = await this.lists.purgeTombstones(this.knex, new Date(now.getTime() - TOMBSTONE_DAYS * DAY_MS));
    if (events + tombstones > 0) this.logger.log(`deleted ${events} access events before ${cutoff.toISOString()} and ${tombstones} old allowlist removals`);
    return { events, tombstones };
  }
}
