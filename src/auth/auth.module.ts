import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { BootstrapAdmin } from './bootstrap-admin';
import { PrincipalCache } from './principal-cache';
import { CreateApiKeyHandler } from './commands/create-api-key.handler';
import { RevokeApiKeyHandler } from './commands/revoke-api-key.handler';

@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeysRepository, PrincipalCache, Authenticator, CreateApiKeyHandler, RevokeApiKeyHandler, BootstrapAdmin, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeysRepository, Authenticator, PrincipalCache],
})
export class AuthModule {}
