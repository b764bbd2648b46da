import { Query } from '@nestjs/cqrs';
import type { ResidentView } from '../../residents/resident.view';

export class SearchResidentsQuery extends Query<{ items: ResidentView[] }> {
  constructor(readonly name: string) {
    super();
  }
}
