import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../ledger/money';
import { shanghaiDay } from '../common/shanghai-day';
import { randomShard } from '../ledger/knex-ledger.store';
import { ADD_TO_TOTALS, INSERT_TOTALS } from './merchant-day-totals';
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

  /** The refund, and its amount added to the day totals of the payment it refunds. */
  async insertRefund(
    trx: Knex.Transaction,
    r: { id: string; payment: PaymentRow; amount: string; funding: StoredFundingLine[]; transactionId: string; apiKeyId: string },
  ): Promise<Date> {
    const { rows } = await trx.raw<{ rows: { created_at: Date }[] }>(
      `WITH r AS (
         INSERT INTO refunds (id, payment_id, amount, funding, transaction_id, api_key_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING created_at
       ), totals AS (
         ${INSERT_TOTALS} VALUES (?, ${shanghaiDay('?::timestamptz')}, ?, 0, 0, 0, ?)
         ${ADD_TO_TOTALS}
       )
       SELECT created_at FROM r`,
      [r.id, r.payment.id, r.amount, JSON.stringify(r.funding), r.transactionId, r.apiKeyId, r.payment.merchant_id, r.payment.created_at.toISOString(), randomShard(), r.amount],
    );
    return rows[0].created_at;
  }

  /** A merchant's payments in time order, for reconciliation; the cursor is (created_at, id). */
  async listForMerchant(db: Knex, f: MerchantDayFilter, after: { at: string; id: string } | undefined, limit: number): Promise<PaymentRow[]> {
    const query = this.filtered(db, f).select([...COLUMNS, db.raw(REFUNDED)]).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(limit);
    if (after) query.whereRaw('(created_at, id) > (?::timestamptz, ?::uuid)', [after.at, after.id]);
    return query;
  }

  /** Totals over the whole filter, from the running day sums (migration 20261202000005), not from the payments. */
  async totalsForMerchant(db: Knex, f: MerchantDayFilter): Promise<MerchantTotals> {
    const query = db('merchant_day_totals')
      .where({ merchant_id: f.merchantId })
      .first<Record<string, string>>(
        db.raw('coalesce(sum(approved_count), 0)::text AS approved_count'),
        db.raw('coalesce(sum(approved_amount), 0)::text AS approved_amount'),
        db.raw('coalesce(sum(declined_count), 0)::text AS declined_count'),
        db.raw('coalesce(sum(refunded_amount), 0)::text AS refunded_amount'),
      );
    if (f.date) query.where({ day: f.date });
    const row = await query;
    // Only approved payments have refunds: the status filter keeps one side of the sums.
    const approved = f.status !== 'declined';
    const approvedAmount = approved ? new Decimal(row.approved_amount) : new Decimal(0);
    const refunded = approved ? new Decimal(row.refunded_amount) : new Decimal(0);
    return {
      approvedCount: approved ? Number(row.approved_count) : 0,
      approvedAmount: formatMoney(approvedAmount),
      declinedCount: f.status !== 'approved' ? Number(row.declined_count) : 0,
      refundedAmount: formatMoney(refunded),
      netAmount: formatMoney(approvedAmount.minus(refunded)),
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
