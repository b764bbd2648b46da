import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { inTransaction } from '../db/transaction';
import { SubsidiesRepository } from './subsidies.repository';
import { sweepProgram } from './sweep';

/** Sweeps expired allowance money back to the programs, every SUBSIDY_SWEEP_INTERVAL_MS (a minute by default). */
@Injectable()
export class ExpirySweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeperService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly programs: SubsidiesRepository,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepAll(), this.config.subsidySweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sweepAll(): Promise<void> {
    this.running ??= this.sweepEach()
      .catch((err) => this.logger.error({ err: { message: (err as Error).message } }, 'expiry sweep failed; will retry'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepEach(): Promise<void> {
    for (const programId of await this.programs.programsWithExpiredMoney(this.knex)) {
      const result = await inTransaction(this.knex, (trx) => sweepProgram(trx, this.programs, programId));
      if (result.wallets > 0) this.logger.log(`returned ${result.amount} from ${result.wallets} expired lots to program ${programId}`);
    }
  }
}
