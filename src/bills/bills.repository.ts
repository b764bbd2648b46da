import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import { pgArray } from '../db/pg-array';
import type { Payee } from './bill-accounts';
import type { BillRow } from './bill.view';

const COLUMNS = ['id', 'seq', 'resident_id', 'payee', 'amount', 'due_date', 'reference', 'status', 'created_at', 'paid_at'];
const PAYMENT_ID = '(SELECT p.id FROM bill_payments p WHERE p.bill_id = bills.id) AS payment_id';

export interface NewBill {
  id: string;
  residentId: string;
  payee: Payee;
  amount: string;
  dueDate: string;
  reference: string;
}

export interface BillPaymentRow {
  id: string;
  bill_id: string;
  card_id: string;
  resident_id: string;
  amount: string;
  transaction_id: string;
  created_at: Date;
}

@Injectable()
export class BillsRepository {
  /**
   * Inserts bills in one set-based statement. A reference that exists already (or was
   * inserted concurrently) is skipped, not an error: the caller compares what came back.
   */
  async insertMany(trx: Knex.Transaction, bills: NewBill[], apiKeyId: string): Promise<BillRow[]> {
    if (bills.length === 0) return [];
    const { rows } = await trx.raw<{ rows: BillRow[] }>(
      `INSERT INTO bills (id, resident_id, payee, amount, due_date, reference, api_key_id)
       SELECT b.id, b.resident_id, b.payee, b.amount, b.due_date, b.reference, ?::uuid
       FROM unnest(?::uuid[], ?::uuid[], ?::text[], ?::numeric[], ?::date[], ?::text[]) AS b(id, resident_id, payee, amount, due_date, reference)
       ON CONFLICT (reference) DO NOTHING
       RETURNING ${COLUMNS.join(', ')}, NULL::uuid AS payment_id`,
      [
        apiKeyId,
        pgArray(bills.map((b) => b.id)),
        pgArray(bills.map((b) => b.residentId)),
        pgArray(bills.map((b) => b.payee)),
        pgArray(bills.map((b) => b.amount)),
        pgArray(bills.map((b) => b.dueDate)),
        pgArray(bills.map((b) => b.reference)),
      ],
    );
    return rows;
  }

  async existingReferences(db: Knex, references: string[]): Promise<Set<string>> {
    if (references.length === 0) return new Set();
    const { rows } = await db.raw<{ rows: { reference: string }[] }>('SELECT reference FROM bills WHERE reference = ANY(?::text[])', [pgArray(references)]);
    return new Set(rows.map((r) => r.reference));
  }

  async existingResidents(db: Knex, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await db.raw<{ rows: { id: string }[] }>('SELECT id FROM residents WHERE id = ANY(?::uuid[])', [pgArray([...new Set(ids)])]);
    return new Set(rows.map((r) => r.id));
  }

  async findById(db: Knex, id: string): Promise<BillRow | undefined> {
    return db('bills').where({ id }).first<BillRow | undefined>([...COLUMNS, db.raw(PAYMENT_ID)]);
  }

  /** Locks a bill for payment, so two desks paying it at once take turns and the second sees it paid. */
  async findForPayment(trx: Knex.Transaction, id: string): Promise<BillRow | undefined> {
    return trx('bills').where({ id }).forUpdate().first<BillRow | undefined>(COLUMNS);
  }

  /** A resident's bills, newest first; the cursor is the seq of the last one seen. */
  async listForResident(db: Knex, residentId: string, status: 'unpaid' | 'paid' | undefined, beforeSeq: string | undefined, limit: number): Promise<BillRow[]> {
    const query = db('bills')
      .where({ resident_id: residentId })
      .orderBy('seq', 'desc')
      .limit(limit)
      .select<BillRow[]>([...COLUMNS, db.raw(PAYMENT_ID)]);
    if (status) query.where({ status });
    if (beforeSeq !== undefined) query.where('seq', '<', beforeSeq);
    return query;
  }

  async markPaid(trx: Knex.Transaction, id: string): Promise<BillRow> {
    const [row] = await trx('bills').where({ id, status: 'unpaid' }).update({ status: 'paid', paid_at: trx.fn.now() }).returning(COLUMNS);
    return row as BillRow;
  }

  async insertPayment(
    trx: Knex.Transaction,
    p: { id: string; billId: string; cardId: string; residentId: string; amount: string; transactionId: string; apiKeyId: string },
  ): Promise<BillPaymentRow> {
    const [row] = await trx('bill_payments')
      .insert({ id: p.id, bill_id: p.billId, card_id: p.cardId, resident_id: p.residentId, amount: p.amount, transaction_id: p.transactionId, api_key_id: p.apiKeyId })
      .returning(['id', 'bill_id', 'card_id', 'resident_id', 'amount', 'transaction_id', 'created_at']);
    return row as BillPaymentRow;
  }
}
