import Decimal from 'decimal.js';
import { formatMoney } from '../../ledger/money';
import type { Payee } from './bill-accounts';

export interface BillRow {
  id: string;
  seq: string;
  resident_id: string;
  payee: Payee;
  amount: string;
  due_date: string;
  reference: string;
  status: 'unpaid' | 'paid';
  created_at: Date;
  paid_at: Date | null;
  payment_id?: string | null;
}

export interface BillView {
  id: string;
  status: 'unpaid' | 'paid';
  residentId: string;
  payee: Payee;
  amount: string;
  dueDate: string;
  reference: string;
  /** Unpaid and its due date is before today in Asia/Shanghai: due on the day, overdue from the next. */
  overdue: boolean;
  paymentId: string | null;
  paidAt: string | null;
  createdAt: string;
}

/** "YYYY-MM-DD" of a moment in Asia/Shanghai (UTC+8 all year: China has no daylight saving). */
export function shanghaiDate(at: Date = new Date()): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export function billView(b: BillRow, today = shanghaiDate()): BillView {
  return {
    id: b.id,
    status: b.status,
    residentId: b.resident_id,
    payee: b.payee,
    amount: formatMoney(new Decimal(b.amount)),
    dueDate: b.due_date,
    reference: b.reference,
    overdue: b.status === 'unpaid' && b.due_date < today,
    paymentId: b.payment_id ?? null,
    paidAt: b.paid_at ? b.paid_at.toISOString() : null,
    createdAt: b.created_at.toISOString(),
  };
}
