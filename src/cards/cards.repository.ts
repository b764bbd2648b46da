import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { Principal } from '../auth/principal';
import type { CardRow, CardStatus, LockReason } from './card.view';
import { ResidentHasCard, UidInUse, UidRetired } from './cards.errors';

const COLUMNS = ['id', 'uid', 'resident_id', 'status', 'lock_reason', 'replaces_card_id', 'issued_at'];

export type CardAction = 'issued' | 'locked' | 'unlocked' | 'replaced' | 'closed';

export interface CardEvent {
  cardId: string;
  action: CardAction;
  fromStatus: CardStatus | null;
  toStatus: CardStatus;
  reason: string | null;
  relatedCardId?: string | null;
  by: Principal;
}

export interface CardEventRow {
  id: string;
  action: CardAction;
  from_status: CardStatus | null;
  to_status: CardStatus;
  reason: string | null;
  related_card_id: string | null;
  api_key_id: string;
  api_key_name: string;
  created_at: Date;
}

/** Constraints that carry business rules, and the error each one means. */
const RULES: Record<string, () => Error> = {
  cards_uid_in_use: () => new UidInUse(),
  cards_one_per_resident: () => new ResidentHasCard(),
  cards_uid_not_retired: () => new UidRetired(),
};

@Injectable()
export class CardsRepository {
  /** Inserts a card; a concurrent desk that got there first surfaces as the rule it broke. */
  async insert(trx: Knex.Transaction, card: { id: string; uid: string; residentId: string; replacesCardId?: string }): Promise<CardRow> {
    try {
      const [row] = await trx('cards')
        .insert({ id: card.id, uid: card.uid, resident_id: card.residentId, status: 'active', replaces_card_id: card.replacesCardId ?? null })
        .returning(COLUMNS);
      return row as CardRow;
    } catch (err) {
      const rule = ruleBroken(err);
      throw rule ? rule() : err;
    }
  }

  async findById(db: Knex, id: string, lock?: 'update'): Promise<CardRow | undefined> {
    const query = db('cards').where({ id }).first<CardRow | undefined>(COLUMNS);
    return lock === 'update' ? query.forUpdate() : query;
  }

  /** The card that currently holds a UID, if any (closed cards no longer hold one). */
  async findHolderOfUid(db: Knex, uid: string): Promise<CardRow | undefined> {
    return db('cards').where({ uid }).whereNot({ status: 'closed' }).first<CardRow | undefined>(COLUMNS);
  }

  async listByUid(db: Knex, uid: string): Promise<CardRow[]> {
    return db('cards').where({ uid }).orderBy('issued_at', 'desc').select<CardRow[]>(COLUMNS);
  }

  async listByResident(db: Knex, residentId: string): Promise<CardRow[]> {
    return db('cards').where({ resident_id: residentId }).orderBy('issued_at', 'desc').select<CardRow[]>(COLUMNS);
  }

  /** The resident's usable card (active or locked), if any. */
  async findCurrentOfResident(db: Knex, residentId: string): Promise<CardRow | undefined> {
    return db('cards').where({ resident_id: residentId }).whereIn('status', ['active', 'locked']).first<CardRow | undefined>(COLUMNS);
  }

  async setStatus(trx: Knex.Transaction, id: string, status: CardStatus, lockReason: LockReason | null): Promise<CardRow> {
    const [row] = await trx('cards').where({ id }).update({ status, lock_reason: lockReason, status_changed_at: trx.fn.now() }).returning(COLUMNS);
    return row as CardRow;
  }

  async isRetired(db: Knex, uid: string): Promise<boolean> {
    return (await db('retired_uids').where({ uid }).first('uid')) !== undefined;
  }

  async retire(trx: Knex.Transaction, uid: string, cardId: string, reason: string): Promise<void> {
    await trx('retired_uids').insert({ uid, card_id: cardId, reason }).onConflict('uid').ignore();
  }

  async addEvent(trx: Knex.Transaction, e: CardEvent): Promise<void> {
    await trx('card_events').insert({
      card_id: e.cardId,
      action: e.action,
      from_status: e.fromStatus,
      to_status: e.toStatus,
      reason: e.reason,
      related_card_id: e.relatedCardId ?? null,
      api_key_id: e.by.keyId,
      api_key_name: e.by.name,
    });
  }

  async history(db: Knex, cardId: string, afterId: string, limit: number): Promise<CardEventRow[]> {
    return db('card_events')
      .where({ card_id: cardId })
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select<CardEventRow[]>('id', 'action', 'from_status', 'to_status', 'reason', 'related_card_id', 'api_key_id', 'api_key_name', 'created_at');
  }
}

function ruleBroken(err: unknown): (() => Error) | undefined {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code !== '23505' && e.code !== '23514') return undefined;
  const name = e.constraint ?? Object.keys(RULES).find((n) => e.message?.includes(n));
  return name ? RULES[name] : undefined;
}
