import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OpsModule } from '../ops/ops.module';
import { FastLane } from './fast-lane';

/** The fast lane is one per app; features register their routes on it at start. */
@Global()
@Module({
  imports: [AuthModule, OpsModule],
  providers: [FastLane],
  exports: [FastLane],
})
export class LaneModule {}
