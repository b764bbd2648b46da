import Decimal from 'decimal.js';
import { formatMoney } from '../../ledger/money';

export interface ProjectRow {
  id: string;
  seq: string;
  name: string;
  goal: string | null;
  created_at: Date;
  raised: string;
  donations: number;
}

export interface ProjectView {
  id: string;
  name: string;
  goal: string | null;
  raised: string;
  /** How many donations the project has received. */
  donations: number;
  createdAt: string;
}

export function projectView(p: ProjectRow): ProjectView {
  return {
    id: p.id,
    name: p.name,
    goal: p.goal === null ? null : formatMoney(new Decimal(p.goal)),
    raised: formatMoney(new Decimal(p.raised)),
    donations: Number(p.donations),
    createdAt: p.created_at.toISOString(),
  };
}

export interface DonationRow {
  id: string;
  seq: string;
  project_id: string;
  card_id: string;
  resident_id: string;
  amount: string;
  receipt_no: string;
  transaction_id: string;
  created_at: Date;
}

export interface DonationView {
  id: string;
  receiptNo: string;
  amount: string;
  projectId: string;
  cardId: string;
  residentId: string;
  transactionId: string;
  createdAt: string;
}

export function donationView(d: DonationRow): DonationView {
  return {
    id: d.id,
    receiptNo: d.receipt_no,
    amount: formatMoney(new Decimal(d.amount)),
    projectId: d.project_id,
    cardId: d.card_id,
    residentId: d.resident_id,
    transactionId: d.transaction_id,
    createdAt: d.created_at.toISOString(),
  };
}

export interface ReceiptRow extends DonationRow {
  project_name: string;
  donor_name: string;
  /** The donation's day in Asia/Shanghai, YYYY-MM-DD. */
  day: string;
}
