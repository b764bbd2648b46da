import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { isEmbedded } from '../db/knex';
import type { TapView } from './tap.view';

const CHANNEL = 'station_taps';
const RECONNECT_MS = 500;

export type TapListener = (tap: TapView) => void;

/**
 * Fans taps out to the consoles watching a station. On a PostgreSQL server a tap goes
 * through NOTIFY, so a bridge and a console connected to different instances still
 * meet; on the embedded database there is only one instance, so it is handed over in
 * memory. Taps are live only: nothing is stored, and a console that was not connected
 * at the moment of a tap does not see it (the operator taps again).
 */
@Injectable()
export class StationFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StationFeed.name);
  private readonly listeners = new Map<string, Set<TapListener>>();
  private listener: Client | undefined;
  private stopped = false;

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!isEmbedded(this.knex)) await this.connect().catch(() => this.scheduleReconnect());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.listener?.end().catch(() => undefined);
  }

  /** Returns the unsubscribe function. */
  subscribe(station: string, listener: TapListener): () => void {
    let set = this.listeners.get(station);
    if (!set) this.listeners.set(station, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(station) === set) this.listeners.delete(station);
    };
  }

  get watchers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  async publish(tap: TapView): Promise<void> {
    if (this.listener) {
      try {
        await this.knex.raw('SELECT pg_notify(?, ?)', [CHANNEL, JSON.stringify(tap)]);
        return;
      } catch (err) {
        this.logger.warn(`could not notify a tap; delivering it on this instance only: ${(err as Error).message}`);
      }
    }
    // Without a listener the NOTIFY would not come back here: deliver it ourselves.
    this.deliver(tap);
  }

  private deliver(tap: TapView): void {
    for (const listener of this.listeners.get(tap.station) ?? []) {
      try {
        listener(tap);
      } catch (err) {
        this.logger.warn(`a tap listener failed: ${(err as Error).message}`);
      }
    }
  }

  private receive(payload: string): void {
    try {
      this.deliver(JSON.parse(payload) as TapView);
    } catch {
      this.logger.warn('ignored a malformed tap notification');
    }
  }

  /** A dedicated session for LISTEN: a pooled connection would drop it. */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'community-card-station-feed' });
    client.on('notification', (msg) => msg.channel === CHANNEL && msg.payload !== undefined && this.receive(msg.payload));
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', (err) => {
      this.logger.warn(`station feed lost its connection: ${err.message}`);
      lost();
    });
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    setTimeout(() => void this.connect().catch(() => this.scheduleReconnect()), RECONNECT_MS).unref();
  }
}
