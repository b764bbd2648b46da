import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { sealPending } from './sealer';

/** Runs the sealer in the background, one pass at a time, every `SEAL_INTERVAL_MS`. */
@Injectable()
export class LedgerSealerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerSealerService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => 0);
  }

  /** Seals everything committed so far; concurrent callers share one pass. */
  sealNow(): Promise<number> {
    this.running ??= sealPending(this.knex).finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sealNow()
        .catch((err) => this.logger.error({ err }, 'sealing the ledger chain failed; will retry'))
        .finally(() => this.schedule());
    }, this.config.sealIntervalMs);
    this.timer.unref();
  }
}
