import { Query } from '@nestjs/cqrs';
import type { ResidentView } from '../resident.view';

export class GetResidentQuery extends Query<ResidentView> {
  constructor(readonly residentId: string) {
    super();
  }
}
