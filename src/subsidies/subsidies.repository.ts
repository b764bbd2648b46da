import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import { pgArray } from '../db/pg-array';
import { eligibilityBindings, eligibleResidentsSql } from './eligibility';
import type { ProgramRow } from './program.view';

const COLUMNS = ['id', 'name', 'kind', 'merchant_categories', 'min_age', 'max_age', 'tags', 'amount', 'valid_days', 'min_spend', 'daily_limit', 'created_at'];

export interface NewProgram {
  id: string;
  name: string;
  kind: 'allowance' | 'discount';
  merchantCategories: string[];
  minAge: number | null;
  maxAge: number | null;
  tags: string[];
  amount: string;
  validDays: number | null;
  minSpend: string | null;
  dailyLimit: number | null;
}

@Injectable()
export class SubsidiesRepository {
  async insert(db: Knex, p: NewProgram): Promise<ProgramRow> {
    const [row] = await db('subsidy_programs')
      .insert({
        id: p.id,
        name: p.name,
        kind: p.kind,
        merchant_categories: p.merchantCategories,
        min_age: p.minAge,
        max_age: p.maxAge,
        tags: p.tags,
        amount: p.amount,
        valid_days: p.validDays,
        min_spend: p.minSpend,
        daily_limit: p.dailyLimit,
      })
      .returning(COLUMNS);
    return row as ProgramRow;
  }

  async findById(db: Knex, id: string, lock?: 'update'): Promise<ProgramRow | undefined> {
    const query = db('subsidy_programs').where({ id }).first<ProgramRow | undefined>(COLUMNS);
    return lock === 'update' ? query.forUpdate() : query;
  }

  async isDisbursed(db: Knex, programId: string, period: string): Promise<boolean> {
    return (await db('subsidy_disbursements').where({ program_id: programId, period }).first('id')) !== undefined;
  }

  /** Residents the program is for today who hold an active card. */
  async eligibleResidents(db: Knex, p: ProgramRow): Promise<string[]> {
    const { rows } = await db.raw<{ rows: { id: string }[] }>(
      `SELECT r.id FROM residents r
       WHERE ${eligibleResidentsSql('r')}
         AND EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.id AND c.status = 'active')
       ORDER BY r.id`,
      eligibilityBindings(p, pgArray(p.tags)) as never[],
    );
    return rows.map((r) => r.id);
  }

  async insertDisbursement(trx: Knex.Transaction, d: { id: string; programId: string; period: string; recipients: number; total: string; expiresAt: Date; transactionId: string | null }) {
    await trx('subsidy_disbursements').insert({
      id: d.id,
      program_id: d.programId,
      period: d.period,
      recipients: d.recipients,
      total: d.total,
      expires_at: d.expiresAt,
      transaction_id: d.transactionId,
    });
  }

  async insertWallets(trx: Knex.Transaction, w: { accountIds: string[]; residentIds: string[]; programId: string; disbursementId: string; expiresAt: Date }) {
    await trx.raw(
      `INSERT INTO subsidy_wallets (account_id, resident_id, program_id, disbursement_id, expires_at)
       SELECT a, r, ?::uuid, ?::uuid, ?::timestamptz FROM unnest(?::text[], ?::uuid[]) AS w(a, r)`,
      [w.programId, w.disbursementId, w.expiresAt.toISOString(), pgArray(w.accountIds), pgArray(w.residentIds)],
    );
  }

  /** Expired lots that still hold money, for the sweep. */
  async expiredWithMoney(db: Knex, programId: string): Promise<string[]> {
    const { rows } = await db.raw<{ rows: { account_id: string }[] }>(
      `SELECT w.account_id FROM subsidy_wallets w JOIN ledger_balances b ON b.account_id = w.account_id AND b.shard = 0
       WHERE w.program_id = ? AND w.expires_at <= now() AND b.balance > 0 ORDER BY w.account_id`,
      [programId],
    );
    return rows.map((r) => r.account_id);
  }

  async programsWithExpiredMoney(db: Knex): Promise<string[]> {
    const { rows } = await db.raw<{ rows: { program_id: string }[] }>(
      `SELECT DISTINCT w.program_id FROM subsidy_wallets w JOIN ledger_balances b ON b.account_id = w.account_id AND b.shard = 0
       WHERE w.expires_at <= now() AND b.balance > 0`,
    );
    return rows.map((r) => r.program_id);
  }
}
