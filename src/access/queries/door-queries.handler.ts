import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { assertDoorScope } from '../../auth/scope';
import { decodeCursor, encodeCursor, isCursorUuid, isIdCursor, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { AccessLog } from '../access-log';
import { DoorNotFound } from '../access.errors';
import { AccessRepository } from '../access.repository';
import { doorView, type DoorView, grantView, type GrantView } from '../door.view';
import { DoorEventsQuery, GetDoorQuery, ListDoorsQuery, ListGrantsQuery } from './door-queries';

@QueryHandler(GetDoorQuery)
export class GetDoorHandler implements IQueryHandler<GetDoorQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
  ) {}

  async execute(q: GetDoorQuery): Promise<DoorView> {
    assertDoorScope(q.by, q.doorId);
    const row = await this.repo.findDoor(this.knex, q.doorId);
    if (!row) throw new DoorNotFound();
    return doorView(row);
  }
}

const isDoorCursor = (v: unknown): v is { id: string } => isCursorUuid((v as { id?: unknown } | null)?.id);

@QueryHandler(ListDoorsQuery)
export class ListDoorsHandler implements IQueryHandler<ListDoorsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
  ) {}

  async execute(q: ListDoorsQuery): Promise<Page<DoorView>> {
    const after = decodeCursor(q.cursor, isDoorCursor)?.id;
    const rows = await this.repo.listDoors(this.knex, q.limit + 1, after);
    const items = rows.slice(0, q.limit).map(doorView);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor({ id: items.at(-1)!.id }) : null };
  }
}

@QueryHandler(ListGrantsQuery)
export class ListGrantsHandler implements IQueryHandler<ListGrantsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
  ) {}

  async execute(q: ListGrantsQuery): Promise<Page<GrantView>> {
    if (!(await this.repo.findDoor(this.knex, q.doorId))) throw new DoorNotFound();
    return { items: (await this.repo.listGrants(this.knex, q.doorId, q.includeRevoked)).map(grantView), nextCursor: null };
  }
}

export interface AccessEventView {
  id: string;
  doorId: string;
  uid: string;
  cardId: string | null;
  decision: 'allow' | 'deny';
  reason: string;
  rule: string;
  apiKeyId: string;
  at: string;
}

/** Newest first, paged by event id. */
@QueryHandler(DoorEventsQuery)
export class DoorEventsHandler implements IQueryHandler<DoorEventsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
    private readonly log: AccessLog,
  ) {}

  async execute(q: DoorEventsQuery): Promise<Page<AccessEventView>> {
    const before = decodeCursor(q.cursor, isIdCursor)?.id;
    if (!(await this.repo.findDoor(this.knex, q.doorId))) throw new DoorNotFound();
    // Checks this instance answered a moment ago are still in its write buffer.
    await this.log.flush();
    const rows = await this.repo.events(this.knex, q.doorId, q.filter, before, q.limit + 1);
    const items = rows.slice(0, q.limit).map(
      (r): AccessEventView => ({
        id: r.id,
        doorId: r.door_id,
        uid: r.uid,
        cardId: r.card_id,
        decision: r.decision,
        reason: r.reason,
        rule: r.rule,
        apiKeyId: r.api_key_id,
        at: r.at.toISOString(),
      }),
    );
    return { items, nextCursor: rows.length > q.limit ? encodeCursor({ id: items.at(-1)!.id }) : null };
  }
}
