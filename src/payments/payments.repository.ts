import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../ledger/money';
import type { PaymentRow, StoredFundingLine } from './payment.view';

const COLUMNS = ['id', 'merchant_id', 'uid', 'card_id', 'resident_id', 'amount', 'status', 'decline_code', 'description', 'funding', 'created_at'];
const REFUNDED = `(SELECT coalesce(sum(r.amount), 0)::text FROM refunds r WHERE r.payment_id = payments.id) AS refunded`;

export interface MerchantDayFilter {
  merchantId: string;
  /** A day in Asia/Shanghai, YYYY-MM-DD. */
  date?: string;
  status?: 'approved' | 'declined';
}

export interface MerchantTotals {
  approvedCount: number;
  approvedAmount: string;
  declinedCount: number;
  refundedAmount: string;
  netAmount: string;
}

@Injectable()
export class PaymentsRepository {
  async findById(db: Knex, id: string): Promise<PaymentRow | undefined> {
    return db('payments').where({ id }).first<PaymentRow | undefined>([...COLUMNS, db.raw(REFUNDED)]);
  }

  /**
   * Locks a payment for a refund, then reads its earlier refunds' lines in a second
   * statement: a refund that waited for the lock must see the refund it waited for.
   */
  async findForRefund(trx: Knex.Transaction, id: string): Promise<{ payment: PaymentRow; refundedLines: StoredFundingLine[] } | undefined> {
    const payment = await trx('payments').where({ id }).forUpdate().first<PaymentRow | undefined>(COLUMNS);
    if (!payment) return undefined;
    const rows = await trx('refunds').where({ payment_id: id }).select<{ funding: StoredFundingLine[] }[]>('funding');
    return { payment, refundedLines: rows.flatMap((r) => r.funding) };
  }

  async expiredLots(db: Knex, accountIds: string[]): Promise<Set<string>> {
    if (accountIds.length === 0) return new Set();
    const rows = await db('subsidy_wallets').whereIn('account_id', accountIds).where('expires_at', '<=', db.fn.now()).select<{ account_id: string }[]>('account_id');
    return new Set(rows.map((r) => r.account_id));
  }

  async insertRefund(trx: Knex.Transaction, r: { id: string; paymentId: string; amount: string; funding: StoredFundingLine[]; transactionId: string; apiKeyId: string }) {
    const [row] = await trx('refunds')
      .insert({ id: r.id, payment_id: r.paymentId, amount: r.amount, funding: JSON.stringify(r.funding), transaction_id: r.transactionId, api_key_id: r.apiKeyId })
      .returning('created_at');
    return row.created_at as Date;
  }

  /** A merchant's payments in time order, for reconciliation; the cursor is (created_at, id). */
  async listForMerchant(db: Knex, f: MerchantDayFilter, after: { at: string; id: string } | undefined, limit: number): Promise<PaymentRow[]> {
    const query = this.filtered(db, f).select([...COLUMNS, db.raw(REFUNDED)]).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(limit);
    if (after) query.whereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [after.at, after.id]);
    return query;
  }

  async totalsForMerchant(db: Knex, f: MerchantDayFilter): Promise<MerchantTotals> {
    const row = await this.filtered(db, f)
      .first(
        db.raw(`count(*) FILTER (WHERE status = 'approved')::int AS approved_count`),
        db.raw(`coalesce(sum(amount) FILTER (WHERE status = 'approved'), 0)::text AS approved_amount`),
        db.raw(`count(*) FILTER (WHERE status = 'declined')::int AS declined_count`),
        db.raw(`coalesce(sum((SELECT sum(r.amount) FROM refunds r WHERE r.payment_id = payments.id)), 0)::text AS refunded_amount`),
      );
    const approved = new Decimal(row.approved_amount as string);
    const refunded = new Decimal(row.refunded_amount as string);
    return {
      approvedCount: row.approved_count,
      approvedAmount: formatMoney(approved),
      declinedCount: row.declined_count,
      refundedAmount: formatMoney(refunded),
      netAmount: formatMoney(approved.minus(refunded)),
    };
  }

  private filtered(db: Knex, f: MerchantDayFilter) {
    const query = db('payments').where({ merchant_id: f.merchantId });
    if (f.status) query.where({ status: f.status });
    if (f.date) {
      // A Shanghai day, whatever the server's time zone: [00:00, 24:00) at +08:00.
      query.whereRaw(`created_at >= (?::date::timestamp AT TIME ZONE 'Asia/Shanghai')`, [f.date]);
      query.whereRaw(`created_at < ((?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')`, [f.date]);
    }
    return query;
  }
}
