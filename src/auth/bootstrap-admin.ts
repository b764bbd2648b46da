import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { inTransaction } from '../db/transaction';
import { generateApiKey, hashApiKey, keyPrefix } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';

const BOOTSTRAP_LOCK = 7260_0001;

/**
 * Makes sure someone can administer a fresh installation: ADMIN_API_KEY becomes an
 * admin key, or, on a database without any admin key, one is generated and printed
 * once. Several instances starting together agree through an advisory lock.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdmin.name);

  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
    @InjectKnex() private readonly knex: Knex,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const printed = await inTransaction(this.knex, async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
      if (this.config.adminApiKey) {
        await this.insertAdmin(trx, this.config.adminApiKey, 'bootstrap admin (ADMIN_API_KEY)');
        return null;
      }
      if (await this.keys.hasActiveAdmin(trx)) return null;
      const key = generateApiKey();
      await this.insertAdmin(trx, key, 'bootstrap admin (generated)');
      return key;
    });
    if (printed) {
      // Printed on stdout rather than logged, so it reaches the operator once and not the log store.
      process.stdout.write(`\nAdmin API key (shown once; keep it safe): ${printed}\n\n`);
      this.logger.warn('generated a bootstrap admin API key and printed it on stdout');
    }
  }

  private async insertAdmin(trx: Knex.Transaction, key: string, name: string): Promise<void> {
    await this.keys.insert(trx, {
      id: randomUUID(),
      role: 'admin',
      name,
      keyHash: hashApiKey(key),
      keyPrefix: keyPrefix(key),
      merchantId: null,
      doorIds: null,
      createdBy: null,
    });
  }
}
