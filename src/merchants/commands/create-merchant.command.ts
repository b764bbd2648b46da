import { Command } from '@nestjs/cqrs';
import type { MerchantView } from '../merchant.view';

export class CreateMerchantCommand extends Command<MerchantView> {
  constructor(
    readonly name: string,
    readonly category: string,
  ) {
    super();
  }
}
