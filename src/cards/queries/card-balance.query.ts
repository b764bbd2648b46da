import { Query } from '@nestjs/cqrs';

export interface CardBalance {
  cash: string;
  subsidies: { programId: string; name: string; balance: string; expiresAt: string }[];
  total: string;
}

/** The balance of the card's resident: it survives replacement, like the money does. */
export class CardBalanceQuery extends Query<CardBalance> {
  constructor(readonly cardId: string) {
    super();
  }
}
