import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { AppConfig } from '../config/app-config';
import { openDatabase } from './open-database';

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
      // On a server: migrated over DATABASE_MIGRATION_URL when set, served as ccard_app when possible.
      useFactory: (config: AppConfig): Promise<Knex> => openDatabase(config, new Logger('Database')),
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
