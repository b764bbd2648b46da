import { Controller, Get, Query as QueryParams } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles';
import type { Page } from '../common/pagination';
import type { AuditEventView } from './audit-event.view';
import { AuditEventsQueryDto } from './dto/audit-events.query.dto';
import { ListAuditEventsQuery } from './queries/list-audit-events.query';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly queries: QueryBus) {}

  @Get('events')
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'The audit trail of staff actions, newest first',
    description:
      'Every change requested with an admin or operator key (refusals included), staff reads of personal data, and refused attempts at those routes (401, 403). ' +
      'Cursor-paged (`limit`, `cursor`); filters combine.',
  })
  events(@QueryParams() q: AuditEventsQueryDto): Promise<Page<AuditEventView>> {
    return this.queries.execute(
      new ListAuditEventsQuery({ keyId: q.keyId, from: q.from, to: q.to, action: q.action, outcome: q.outcome, resourceId: q.resourceId }, q.limit, q.cursor),
    );
  }
}
