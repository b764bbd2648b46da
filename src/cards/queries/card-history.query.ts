import { Query } from '@nestjs/cqrs';
import type { Page } from '../../common/pagination';

export interface CardHistoryItem {
  id: string;
  action: 'issued' | 'locked' | 'unlocked' | 'replaced' | 'closed';
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  relatedCardId: string | null;
  by: { apiKeyId: string; name: string };
  at: string;
}

export class CardHistoryQuery extends Query<Page<CardHistoryItem>> {
  constructor(
    readonly cardId: string,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}
