import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { assertDoorScope } from '../../auth/scope';
import { AccessFeed } from '../access-feed';
import { AccessLog } from '../access-log';
import { DoorNotFound } from '../access.errors';
import { type AccessCheckResult, CheckAccessCommand } from './check-access.command';

/** A door decision from the in-memory index, logged behind the answer. */
@CommandHandler(CheckAccessCommand)
export class CheckAccessHandler implements ICommandHandler<CheckAccessCommand> {
  constructor(
    private readonly feed: AccessFeed,
    private readonly log: AccessLog,
  ) {}

  async execute(cmd: CheckAccessCommand): Promise<AccessCheckResult> {
    assertDoorScope(cmd.by, cmd.doorId);
    const at = new Date();
    const decided = await this.feed.decide(cmd.doorId, cmd.uid, at);
    if (decided === null) throw new DoorNotFound();
    this.log.record({
      door_id: cmd.doorId,
      uid: cmd.uid,
      card_id: decided.cardId ?? null,
      decision: decided.decision,
      reason: decided.reason,
      rule: decided.rule,
      api_key_id: cmd.by.keyId,
      at,
    });
    return decided.cardId === undefined
      ? { decision: decided.decision, reason: decided.reason }
      : { decision: decided.decision, reason: decided.reason, cardId: decided.cardId };
  }
}
