import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { loadSecrets, Secrets } from './secrets';

/** Makes the already validated config injectable as `AppConfig`, and the keys as `Secrets`. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: Secrets, useValue: loadSecrets(config) },
      ],
      exports: [AppConfig, Secrets],
    };
  }
}
