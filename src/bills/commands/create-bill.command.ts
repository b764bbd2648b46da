import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { BillView } from '../bill.view';
import type { CreateBillDto } from '../dto/bill-requests.dto';

export class CreateBillCommand extends Command<BillView> {
  constructor(
    readonly bill: CreateBillDto,
    readonly by: Principal,
  ) {
    super();
  }
}
