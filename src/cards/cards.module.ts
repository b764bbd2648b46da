import { Module } from '@nestjs/common';
import { ResidentsModule } from '../residents/residents.module';
import { CardsController } from './cards.controller';
import { CardsRepository } from './cards.repository';
import { CloseCardHandler } from './commands/close-card.handler';
import { IssueCardHandler } from './commands/issue-card.handler';
import { LockCardHandler } from './commands/lock-card.handler';
import { ReplaceCardHandler } from './commands/replace-card.handler';
import { UnlockCardHandler } from './commands/unlock-card.handler';
import { CardBalanceHandler } from './queries/card-balance.handler';
import { CardHistoryHandler } from './queries/card-history.handler';
import { CardStatementHandler } from './queries/card-statement.handler';
import { GetCardHandler } from './queries/get-card.handler';
import { ListCardsHandler } from './queries/list-cards.handler';

@Module({
  imports: [ResidentsModule],
  controllers: [CardsController],
  providers: [
    CardsRepository,
    IssueCardHandler,
    LockCardHandler,
    UnlockCardHandler,
    ReplaceCardHandler,
    CloseCardHandler,
    GetCardHandler,
    ListCardsHandler,
    CardHistoryHandler,
    CardBalanceHandler,
    CardStatementHandler,
  ],
  exports: [CardsRepository],
})
export class CardsModule {}
