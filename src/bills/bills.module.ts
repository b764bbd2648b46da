import { Module } from '@nestjs/common';
import { ResidentsModule } from '../residents/residents.module';
import { BillsController } from './bills.controller';
import { BillsRepository } from './bills.repository';
import { CreateBillHandler } from './commands/create-bill.handler';
import { ImportBillsHandler } from './commands/import-bills.handler';
import { PayBillHandler } from './commands/pay-bill.handler';
import { CsvBodyParser } from './csv-body';
import { GetBillHandler } from './queries/get-bill.handler';
import { ListResidentBillsHandler } from './queries/list-resident-bills.handler';

@Module({
  imports: [ResidentsModule],
  controllers: [BillsController],
  providers: [BillsRepository, CsvBodyParser, CreateBillHandler, ImportBillsHandler, PayBillHandler, GetBillHandler, ListResidentBillsHandler],
})
export class BillsModule {}
