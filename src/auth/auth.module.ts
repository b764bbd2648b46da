import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { BootstrapAdmin } from './bootstrap-admin';
import { PrincipalCache } from './principal-cache';
import { KeyRateLimiter, KeyThrottlerGuard, throttlerOptions } from './rate-limit';
import { CreateApiKeyHandler } from './commands/create-api-key.handler';
import { RevokeApiKeyHandler } from './commands/revoke-api-key.handler';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => throttlerOptions(config, new KeyRateLimiter(config.rateLimitPerSecond)),
    }),
  ],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    PrincipalCache,
    Authenticator,
    CreateApiKeyHandler,
    RevokeApiKeyHandler,
    BootstrapAdmin,
    // Guards run in this order: the key first, then its rate, which is counted per key.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: KeyThrottlerGuard },
    // The lane counts in the same per-key windows as the guard.
    { provide: KeyRateLimiter, useExisting: ThrottlerStorage },
  ],
  exports: [ApiKeysRepository, Authenticator, PrincipalCache, KeyRateLimiter],
})
export class AuthModule {}
