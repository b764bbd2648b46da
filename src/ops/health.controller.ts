import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Knex } from 'knex';
import { Public } from '../auth/roles';
import { InjectKnex } from '../db/database.module';
import { pendingMigrations } from '../db/migrations';

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @InjectKnex() private readonly knex: Knex,
  ) {}

  /** 200 once the database answers and carries every migration; 503 otherwise. */
  @Get()
  @Public()
  @HealthCheck()
  check() {
    return this.health.check([() => this.database()]);
  }

  private async database(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('database');
    try {
      const pending = await pendingMigrations(this.knex);
      return pending === 0 ? check.up() : check.down({ message: `${pending} migrations pending` });
    } catch {
      return check.down({ message: 'database unreachable' });
    }
  }
}
