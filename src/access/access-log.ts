import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Knex } from 'knex';
import { InjectKnex } from '../db/database.module';
import { pgArray } from '../db/pg-array';
import type { Decision } from './access-index';

export interface AccessEventRow {
  door_id: string;
  uid: string;
  card_id: string | null;
  decision: Decision['decision'];
  reason: Decision['reason'];
  rule: string;
  api_key_id: string;
  at: Date;
}

const FLUSH_MS = 50;
const FLUSH_ROWS = 2000;

/**
 * Writes access events behind the decisions, many rows per INSERT: a door must not
 * wait for a log write, and at thousands of checks a second one INSERT each would
 * cost more than the decisions. Access events are not ledger data; what is still in
 * the buffer when the process is killed is lost, and that is accepted.
 */
@Injectable()
export class AccessLog implements OnApplicationShutdown {
  private readonly logger = new Logger(AccessLog.name);
  private buffer: AccessEventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(@InjectKnex() private readonly knex: Knex) {}

  record(event: AccessEventRow): void {
    this.buffer.push(event);
    if (this.buffer.length >= FLUSH_ROWS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Resolves when everything recorded so far is in the database. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    // Chained, so writes land in order and a reader awaiting flush() sees all earlier ones.
    this.writing = this.writing.then(() => (rows.length > 0 ? this.write(rows) : undefined));
    return this.writing;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /** One parameter per column: building a 16,000-parameter INSERT would cost the decisions' own thread more. */
  private async insert(rows: AccessEventRow[]): Promise<void> {
    const col = (f: (r: AccessEventRow) => string | null) => pgArray(rows.map(f));
    await this.knex.raw(
      `INSERT INTO access_events (door_id, uid, card_id, decision, reason, rule, api_key_id, at)
       SELECT * FROM unnest(?::uuid[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::timestamptz[])`,
      [
        col((r) => r.door_id),
        col((r) => r.uid),
        col((r) => r.card_id),
        col((r) => r.decision),
        col((r) => r.reason),
        col((r) => r.rule),
        col((r) => r.api_key_id),
        col((r) => r.at.toISOString()),
      ],
    );
  }

  private async write(rows: AccessEventRow[]): Promise<void> {
    try {
      for (let i = 0; i < rows.length; i += FLUSH_ROWS) await this.insert(rows.slice(i, i + FLUSH_ROWS));
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message } }, `could not write ${rows.length} access events; they are lost`);
    }
  }
}
