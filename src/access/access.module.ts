import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { AccessFeed } from './access-feed';
import { AccessLog } from './access-log';
import { AccessRetentionService } from './access-retention.service';
import { AccessRepository } from './access.repository';
import { AccessSigner } from './access-signer';
import { AllowlistRepository } from './allowlist.repository';
import { DoorCheckRoute } from './check-route';
import { AccessFenceInterceptor } from './changes-access';
import { CheckAccessHandler } from './commands/check-access.handler';
import { CreateDoorHandler } from './commands/create-door.handler';
import { GrantAccessHandler } from './commands/grant-access.handler';
import { RevokeGrantHandler } from './commands/revoke-grant.handler';
import { DoorsController } from './doors.controller';
import { DoorEventsHandler, GetDoorHandler, ListDoorsHandler, ListGrantsHandler } from './queries/door-queries.handler';
import { GetAllowlistHandler } from './queries/get-allowlist.handler';

@Module({
  imports: [AuthModule],
  controllers: [DoorsController],
  providers: [
    AccessRepository,
    AllowlistRepository,
    AccessFeed,
    AccessLog,
    AccessSigner,
    AccessRetentionService,
    DoorCheckRoute,
    CreateDoorHandler,
    GrantAccessHandler,
    RevokeGrantHandler,
    CheckAccessHandler,
    GetDoorHandler,
    ListDoorsHandler,
    ListGrantsHandler,
    DoorEventsHandler,
    GetAllowlistHandler,
    { provide: APP_INTERCEPTOR, useClass: AccessFenceInterceptor },
  ],
  exports: [AccessRepository],
})
export class AccessModule {}
