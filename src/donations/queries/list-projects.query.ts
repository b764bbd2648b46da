import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';
import type { ProjectView } from '../donation.view';

export class ListProjectsQuery extends Query<Page<ProjectView>> {
  constructor(
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
