import type { Principal } from '../../auth/principal';
import type { AccessReason } from '../access-index';

export class CheckAccessCommand {
  constructor(
    readonly doorId: string,
    readonly uid: string,
    readonly by: Principal,
  ) {}
}

export interface AccessCheckResult {
  decision: 'allow' | 'deny';
  reason: AccessReason;
  cardId?: string;
}
