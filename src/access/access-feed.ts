import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { PrincipalCache } from '../auth/principal-cache';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { isEmbedded, onEmbeddedNotification } from '../db/knex';
import { AccessIndex, type Decision } from './access-index';
import { AccessRepository } from './access.repository';

const CHANNEL = 'access_changes';
const RECONNECT_MS = 500;
/** A fence that has not come back by then means the listener is deaf: stop trusting the index. */
const FENCE_TIMEOUT_MS = 2000;

/**
 * Keeps the in-memory AccessIndex exact. Triggers NOTIFY `table:id` on every change
 * that can alter a decision; this instance and every other one sharing the database
 * re-read those rows in arrival order (NOTIFY delivers in commit order), so the index
 * only ever moves forward. While the listener is down, decisions are read from the
 * database instead, and the index is rebuilt when it is back.
 */
@Injectable()
export class AccessFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccessFeed.name);
  private index = new AccessIndex();
  private synced = false;
  private loading = false;
  private stopped = false;
  private queue: string[] = [];
  private draining: Promise<void> | undefined;
  private readonly fences = new Map<string, () => void>();
  private listener: Client | undefined;
  private reconnecting = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly repo: AccessRepository,
    private readonly config: AppConfig,
    private readonly principals: PrincipalCache,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (isEmbedded(this.knex)) {
      this.unsubscribe = onEmbeddedNotification(this.knex, (channel, payload) => channel === CHANNEL && this.receive(payload));
      await this.resync();
    } else {
      await this.connect();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.listener?.end().catch(() => undefined);
    await this.draining;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** null: the door does not exist. */
  async decide(doorId: string, uid: string, now: Date): Promise<Decision | null> {
    if (this.synced) return this.index.decide(doorId, uid, now);
    return (await this.indexFromDatabase(doorId, uid)).decide(doorId, uid, now);
  }

  /**
   * Resolves once every change committed before the call has reached the index: the
   * fence's own NOTIFY is delivered after theirs. Calls that change access await it
   * before they answer.
   */
  async fence(): Promise<void> {
    if (!this.synced) return;
    const token = randomUUID();
    const seen = new Promise<boolean>((resolve) => {
      this.fences.set(token, () => resolve(true));
      setTimeout(() => resolve(false), FENCE_TIMEOUT_MS).unref();
    });
    await this.knex.raw('SELECT pg_notify(?, ?)', [CHANNEL, `fence:${token}`]);
    if (!(await seen)) {
      this.fences.delete(token);
      this.logger.warn('access change feed did not deliver a fence; deciding from the database until it is rebuilt');
      this.lost();
    }
  }

  private receive(payload: string): void {
    this.queue.push(payload);
    this.kick();
  }

  private kick(): void {
    if (this.draining || this.loading || this.queue.length === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.loading) {
      const batch = this.queue.splice(0);
      try {
        await this.apply(batch);
      } catch (err) {
        this.logger.error({ err: { message: (err as Error).message } }, 'could not apply access changes; rebuilding the index');
        this.lost();
        return;
      }
    }
  }

  /** Re-reads every row a batch names; reading after the commits makes the order within a batch irrelevant. */
  private async apply(batch: string[]): Promise<void> {
    const ids: Record<string, Set<string>> = { cards: new Set(), residents: new Set(), doors: new Set(), door_grants: new Set(), api_keys: new Set(), fence: new Set() };
    for (const message of batch) {
      const [kind, id] = message.split(':', 2);
      ids[kind]?.add(id);
    }
    const list = (kind: string) => [...ids[kind]];
    // A row that is gone (deleted in SQL: the API never deletes these) leaves the index too.
    const gone = (kind: string, found: { id: string }[]) => {
      const present = new Set(found.map((row) => row.id));
      return list(kind).filter((id) => !present.has(id));
    };
    if (ids.doors.size > 0) {
      const doors = await this.repo.doorsByIds(this.knex, list('doors'));
      doors.forEach((d) => this.index.putDoor(d));
      gone('doors', doors).forEach((id) => this.index.removeDoor(id));
    }
    const cards = ids.cards.size > 0 ? await this.repo.cardsByIds(this.knex, list('cards')) : [];
    // A new card may belong to a resident the index has not seen: residents only notify on moves.
    for (const c of cards) ids.residents.add(c.residentId);
    if (ids.residents.size > 0) for (const r of await this.repo.residentsByIds(this.knex, list('residents'))) this.index.putResident(r);
    cards.forEach((c) => this.index.putCard(c));
    gone('cards', cards).forEach((id) => this.index.removeCard(id));
    if (ids.door_grants.size > 0) {
      const grants = await this.repo.grantsByIds(this.knex, list('door_grants'));
      grants.forEach((g) => this.index.putGrant(g));
      gone('door_grants', grants).forEach((id) => this.index.removeGrant(id));
    }
    for (const keyId of ids.api_keys) this.principals.forget(keyId);
    for (const token of ids.fence) {
      this.fences.get(token)?.();
      this.fences.delete(token);
    }
  }

  /**
   * Builds a fresh index from the tables, then replays what arrived meanwhile. `listener`
   * is the connection the rebuild relies on: if it was lost meanwhile, the index is not
   * declared synced (a reconnect is already on its way).
   */
  private async resync(listener?: Client): Promise<void> {
    this.loading = true;
    try {
      const fresh = new AccessIndex();
      for await (const item of this.repo.everything(this.knex)) {
        if (item.kind === 'door') fresh.putDoor(item.row);
        else if (item.kind === 'resident') fresh.putResident(item.row);
        else if (item.kind === 'card') fresh.putCard(item.row);
        else fresh.putGrant(item.row);
      }
      if (listener !== undefined && this.listener !== listener) return;
      this.index = fresh;
      this.synced = true;
      this.principals.hearingRevocations(true);
      this.logger.log(`access index loaded: ${JSON.stringify(fresh.size)}`);
    } finally {
      this.loading = false;
    }
    this.kick();
  }

  private lost(): void {
    this.synced = false;
    this.principals.hearingRevocations(false);
    if (isEmbedded(this.knex)) {
      if (!this.loading) void this.resync().catch((err) => this.logger.error({ err: { message: (err as Error).message } }, 'access index rebuild failed'));
      return;
    }
    const old = this.listener;
    this.listener = undefined;
    void old?.end().catch(() => undefined);
    if (!this.reconnecting) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reconnecting = true;
    setTimeout(() => void this.connect().catch(() => this.scheduleReconnect()), RECONNECT_MS).unref();
  }

  /** A dedicated session for LISTEN: a pooled connection would drop it. */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'community-card-access-feed' });
    client.on('notification', (msg) => msg.channel === CHANNEL && msg.payload !== undefined && this.receive(msg.payload));
    client.on('error', (err) => {
      this.logger.warn(`access change feed lost its connection: ${err.message}`);
      if (this.listener === client) this.lost();
    });
    client.on('end', () => this.listener === client && !this.stopped && this.lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
      this.reconnecting = false;
      this.queue = [];
      await this.resync(client);
    } catch (err) {
      if (this.listener === client) this.listener = undefined;
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /** The few rows one decision needs, read straight from the database. */
  private async indexFromDatabase(doorId: string, uid: string): Promise<AccessIndex> {
    const index = new AccessIndex();
    const [doors, cards] = await Promise.all([this.repo.doorsByIds(this.knex, [doorId]), this.repo.cardsByUid(this.knex, uid)]);
    doors.forEach((d) => index.putDoor(d));
    cards.forEach((c) => index.putCard(c));
    const residentIds = [...new Set(cards.map((c) => c.residentId))];
    if (residentIds.length > 0 && doors.length > 0) {
      const [residents, grants] = await Promise.all([
        this.repo.residentsByIds(this.knex, residentIds),
        this.repo.liveGrantsOf(this.knex, doorId, residentIds),
      ]);
      residents.forEach((r) => index.putResident(r));
      grants.forEach((g) => index.putGrant(g));
    }
    return index;
  }
}
