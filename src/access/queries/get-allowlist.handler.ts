import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { assertDoorScope } from '../../auth/scope';
import { InjectKnex } from '../../db/database.module';
import { inTransaction } from '../../db/transaction';
import { DoorNotFound } from '../access.errors';
import { AccessRepository } from '../access.repository';
import { diffEntries, limitsOf, mergeRights } from '../allowlist';
import { AllowlistRepository } from '../allowlist.repository';
import { shanghaiClock } from '../windows';
import { type AllowlistDelta, type FullAllowlist, GetAllowlistQuery } from './get-allowlist.query';

/**
 * Brings the door's stored list up to date with the rights as they are now, under the
 * door's row lock, giving it a new version when anything changed; then answers the
 * whole list, or what changed since the caller's version. A version the door never had
 * (ahead of it) or one whose removals were purged gets the whole list.
 */
@QueryHandler(GetAllowlistQuery)
export class GetAllowlistHandler implements IQueryHandler<GetAllowlistQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly doors: AccessRepository,
    private readonly lists: AllowlistRepository,
  ) {}

  async execute(q: GetAllowlistQuery): Promise<FullAllowlist | AllowlistDelta> {
    assertDoorScope(q.by, q.doorId);
    const today = shanghaiClock(new Date()).day;
    return inTransaction(this.knex, async (trx) => {
      const door = await this.doors.findDoor(trx, q.doorId, 'update');
      if (!door) throw new DoorNotFound();
      const wanted = mergeRights(await this.lists.rights(trx, door, today));
      const changes = diffEntries(wanted, await this.lists.stored(trx, door.id));
      let version = Number(door.list_version);
      if (changes.length > 0) await this.lists.write(trx, door.id, ++version, changes);

      if (q.since === undefined || q.since > version || q.since < Number(door.list_floor)) {
        const entries = await this.lists.current(trx, door.id);
        return { doorId: door.id, version, uids: entries.map((e) => e.uid), limits: limitsOf(entries) };
      }
      const changed = await this.lists.changedSince(trx, door.id, q.since);
      const added = changed.filter((e) => !e.removed);
      return {
        doorId: door.id,
        version,
        since: q.since,
        added: added.map((e) => e.uid),
        removed: changed.filter((e) => e.removed).map((e) => e.uid),
        limits: limitsOf(added),
      };
    });
  }
}
