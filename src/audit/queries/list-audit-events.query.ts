import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { AuditEventView } from '../audit-event.view';

export interface AuditEventsFilter {
  keyId?: string;
  from?: string;
  to?: string;
  action?: string;
  outcome?: string;
  resourceId?: string;
}

export class ListAuditEventsQuery extends Query<Page<AuditEventView>> {
  constructor(
    readonly filter: AuditEventsFilter,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
