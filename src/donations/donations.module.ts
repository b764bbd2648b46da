import { Module } from '@nestjs/common';
import { ResidentsModule } from '../residents/residents.module';
import { CharityProjectsController } from './charity-projects.controller';
import { CreateProjectHandler } from './commands/create-project.handler';
import { DonateHandler } from './commands/donate.handler';
import { DonationsController } from './donations.controller';
import { DonationsRepository } from './donations.repository';
import { GetDonationHandler } from './queries/get-donation.handler';
import { GetProjectHandler } from './queries/get-project.handler';
import { GetReceiptHandler } from './queries/get-receipt.handler';
import { ListProjectsHandler } from './queries/list-projects.handler';
import { ListResidentDonationsHandler } from './queries/list-resident-donations.handler';

@Module({
  imports: [ResidentsModule],
  controllers: [CharityProjectsController, DonationsController],
  providers: [
    DonationsRepository,
    CreateProjectHandler,
    DonateHandler,
    GetProjectHandler,
    ListProjectsHandler,
    GetDonationHandler,
    GetReceiptHandler,
    ListResidentDonationsHandler,
  ],
})
export class DonationsModule {}
