import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { BillView } from '../bill.view';

export interface BillsImported {
  created: number;
  /** The new bills in the file's order. */
  items: BillView[];
}

export class ImportBillsCommand extends Command<BillsImported> {
  constructor(
    readonly csv: string,
    readonly by: Principal,
  ) {
    super();
  }
}
