import { Query } from '@nestjs/cqrs';
import type { ProjectView } from '../donation.view';

export class GetProjectQuery extends Query<ProjectView> {
  constructor(readonly id: string) {
    super();
  }
}
