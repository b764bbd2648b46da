import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import { InjectKnex } from '../db/database.module';
import { inTransaction } from '../db/transaction';
import { DomainError } from './domain-error';
import { errorBodyFor } from './error-status';

/** One money-moving request as the idempotency store knows it. */
export interface IdempotentRequest {
  apiKeyId: string;
  key: string;
  /** SHA-256 of method, route and canonical body: tells a retry from a reuse of the key. */
  fingerprint: string;
}

export interface Outcome<T = unknown> {
  statusCode: number;
  body: T;
  replayed: boolean;
}

class AlreadyClaimed extends Error {}

/**
 * Runs a money-moving request at most once per (API key, Idempotency-Key). The
 * claim, the work and the stored outcome commit in one database transaction, so an
 * outcome is stored exactly when its effects are. A concurrent duplicate waits on
 * the claim's row lock and then replays the stored outcome. Domain errors (declines
 * included) are outcomes too: they are stored and replayed, and their partial work
 * is rolled back to a savepoint.
 */
@Injectable()
export class Idempotency {
  constructor(@InjectKnex() private readonly knex: Knex) {}

  async run<T>(req: IdempotentRequest, work: (trx: Knex.Transaction) => Promise<{ statusCode: number; body: T }>): Promise<Outcome<T>> {
    const prior = await this.stored<T>(this.knex, req);
    if (prior) return prior;
    try {
      return await inTransaction(this.knex, async (trx) => {
        if (!(await this.claim(trx, req))) throw new AlreadyClaimed();
        const outcome = await this.attempt(trx, work);
        await trx('idempotency_keys')
          .where({ api_key_id: req.apiKeyId, key: req.key })
          .update({ status_code: outcome.statusCode, body: JSON.stringify(outcome.body) });
        return { ...outcome, replayed: false };
      });
    } catch (err) {
      if (!(err instanceof AlreadyClaimed)) throw err;
      return this.replay<T>(req);
    }
  }

  /** The stored outcome of a request whose key another transaction claimed and has committed. */
  async replay<T>(req: IdempotentRequest): Promise<Outcome<T>> {
    const stored = await this.stored<T>(this.knex, req);
    if (!stored) throw new DomainError('idempotency_key_in_progress', 'a request with this Idempotency-Key is still being processed');
    return stored;
  }

  private async claim(trx: Knex.Transaction, req: IdempotentRequest): Promise<boolean> {
    const rows = await trx('idempotency_keys')
      .insert({ api_key_id: req.apiKeyId, key: req.key, fingerprint: req.fingerprint, status_code: 0, body: '{}' })
      .onConflict(['api_key_id', 'key'])
      .ignore()
      .returning('key');
    return rows.length === 1;
  }

  private async attempt<T>(trx: Knex.Transaction, work: (trx: Knex.Transaction) => Promise<{ statusCode: number; body: T }>) {
    try {
      return await trx.transaction((inner) => work(inner));
    } catch (err) {
      const body = errorBodyFor(err);
      if (!body || body.statusCode >= 500) throw err;
      return { statusCode: body.statusCode, body: body as T };
    }
  }

  private async stored<T>(db: Knex, req: IdempotentRequest): Promise<Outcome<T> | null> {
    const row = await db('idempotency_keys')
      .where({ api_key_id: req.apiKeyId, key: req.key })
      .first<{ fingerprint: string; status_code: number; body: T } | undefined>('fingerprint', 'status_code', 'body');
    if (!row) return null;
    if (row.fingerprint !== req.fingerprint) {
      throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    }
    return { statusCode: row.status_code, body: row.body, replayed: true };
  }
}

/** Answers with a stored or fresh outcome: its status, and `Idempotent-Replayed: true` on a replay. */
export function sendOutcome<T>(reply: { status(code: number): unknown; header(name: string, value: string): unknown }, outcome: Outcome<T>): T {
  reply.status(outcome.statusCode);
  if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
  return outcome.body;
}
