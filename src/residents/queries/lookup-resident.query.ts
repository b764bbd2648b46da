import { Query } from '@nestjs/cqrs';
import type { ResidentView } from '../resident.view';

export class LookupResidentQuery extends Query<{ items: ResidentView[] }> {
  constructor(readonly idNumber: string) {
    super();
  }
}
