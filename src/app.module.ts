import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AccessModule } from './access/access.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BillsModule } from './bills/bills.module';
import { CardsModule } from './cards/cards.module';
import { CommonModule } from './common/common.module';
import { DonationsModule } from './donations/donations.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './db/database.module';
import { DeskModule } from './desk/desk.module';
import { LaneModule } from './lane/lane.module';
import { LedgerModule } from './ledger/ledger.module';
import { MerchantsModule } from './merchants/merchants.module';
import { OpsModule } from './ops/ops.module';
import { PaymentsModule } from './payments/payments.module';
import { ResidentsModule } from './residents/residents.module';
import { StationsModule } from './stations/stations.module';
import { SubsidiesModule } from './subsidies/subsidies.module';

export interface AppOptions {
  /** Where logs go; stdout unless a test captures them. */
  logStream?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.logLevel,
              // Keys are credentials and must never reach a log line.
              redact: { paths: ['req.headers.authorization', 'req.headers["idempotency-key"]', 'req.headers.cookie'], censor: '[redacted]' },
              customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
            },
            options.logStream ?? process.stdout,
          ],
        }),
        CqrsModule.forRoot(),
        DatabaseModule,
        CommonModule,
        OpsModule,
        AuthModule,
        LaneModule,
        LedgerModule,
        ResidentsModule,
        CardsModule,
        MerchantsModule,
        PaymentsModule,
        SubsidiesModule,
        BillsModule,
        DonationsModule,
        AccessModule,
        StationsModule,
        DeskModule,
        AuditModule,
      ],
    };
  }
}
