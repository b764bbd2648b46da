import { Command } from '@nestjs/cqrs';
import type { IdempotentRequest, Outcome } from '../../common/idempotency';

export interface Disbursed {
  id: string;
  programId: string;
  period: string;
  recipients: number;
  total: string;
  expiresAt: string;
}

export class DisburseCommand extends Command<Outcome<Disbursed>> {
  constructor(
    readonly programId: string,
    readonly period: string,
    readonly idempotency: IdempotentRequest,
  ) {
    super();
  }
}
