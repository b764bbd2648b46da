import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { createKnex } from './knex';
import { migrateLatest } from './migrations';

export const KNEX = Symbol('KNEX');

/** Inject the knex instance with `@InjectKnex()`. */
export const InjectKnex = () => Inject(KNEX);

/**
 * One knex instance for the app, migrated before anything else starts, so that a
 * served request never meets an old schema.
 */
@Global()
@Module({
  providers: [
    {
      provide: KNEX,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<Knex> => {
        const knex = createKnex({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.dbPoolMax });
        await migrateLatest(knex);
        return knex;
      },
    },
  ],
  exports: [KNEX],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@InjectKnex() private readonly knex: Knex) {}

  async onApplicationShutdown(): Promise<void> {
    await this.knex.destroy();
  }
}
