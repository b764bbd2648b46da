import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { DonationRow, ProjectRow, ReceiptRow } from './donation.view';

const PROJECT = `p.id, p.seq, p.name, p.goal, p.created_at,
  (SELECT count(*) FROM donations d WHERE d.project_id = p.id)::int AS donations,
  (SELECT coalesce(sum(d.amount), 0) FROM donations d WHERE d.project_id = p.id)::text AS raised`;
const DONATION = ['id', 'seq', 'project_id', 'card_id', 'resident_id', 'amount', 'receipt_no', 'transaction_id', 'created_at'];

@Injectable()
export class DonationsRepository {
  async insertProject(trx: Knex.Transaction, p: { id: string; name: string; goal: string | null; apiKeyId: string }): Promise<void> {
    await trx('charity_projects').insert({ id: p.id, name: p.name, goal: p.goal, api_key_id: p.apiKeyId });
  }

  async findProject(db: Knex, id: string): Promise<ProjectRow | undefined> {
    const { rows } = await db.raw<{ rows: ProjectRow[] }>(`SELECT ${PROJECT} FROM charity_projects p WHERE p.id = ?`, [id]);
    return rows[0];
  }

  /** Projects, newest first; the cursor is the seq of the last one seen. */
  async listProjects(db: Knex, beforeSeq: string | undefined, limit: number): Promise<ProjectRow[]> {
    const { rows } = await db.raw<{ rows: ProjectRow[] }>(
      `SELECT ${PROJECT} FROM charity_projects p WHERE (?::bigint IS NULL OR p.seq < ?::bigint) ORDER BY p.seq DESC LIMIT ?`,
      [beforeSeq ?? null, beforeSeq ?? null, limit],
    );
    return rows;
  }

  async projectExists(db: Knex, id: string): Promise<boolean> {
    return (await db('charity_projects').where({ id }).first('id')) !== undefined;
  }

  /**
   * The next receipt number of a project in the current Shanghai year. The counter row
   * stays locked until the donation commits, so donors to one project take numbers in
   * turn, and a donation that rolls back returns its number: no gaps, no repeats.
   */
  async nextReceipt(trx: Knex.Transaction, projectId: string): Promise<{ year: number; seq: number }> {
    const { rows } = await trx.raw<{ rows: { year: number; last_no: number }[] }>(
      `INSERT INTO donation_receipt_counters AS c (project_id, year, last_no)
       VALUES (?, extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int, 1)
       ON CONFLICT (project_id, year) DO UPDATE SET last_no = c.last_no + 1
       RETURNING c.year, c.last_no`,
      [projectId],
    );
    return { year: Number(rows[0].year), seq: Number(rows[0].last_no) };
  }

  async insertDonation(
    trx: Knex.Transaction,
    d: { id: string; projectId: string; cardId: string; residentId: string; amount: string; receiptYear: number; receiptSeq: number; receiptNo: string; transactionId: string; apiKeyId: string },
  ): Promise<DonationRow> {
    const [row] = await trx('donations')
      .insert({
        id: d.id,
        project_id: d.projectId,
        card_id: d.cardId,
        resident_id: d.residentId,
        amount: d.amount,
        receipt_year: d.receiptYear,
        receipt_seq: d.receiptSeq,
        receipt_no: d.receiptNo,
        transaction_id: d.transactionId,
        api_key_id: d.apiKeyId,
      })
      .returning(DONATION);
    return row as DonationRow;
  }

  async findDonation(db: Knex, id: string): Promise<DonationRow | undefined> {
    return db('donations').where({ id }).first<DonationRow | undefined>(DONATION);
  }

  /** A resident's donations, newest first; the cursor is the seq of the last one seen. */
  async listForResident(db: Knex, residentId: string, beforeSeq: string | undefined, limit: number): Promise<DonationRow[]> {
    const query = db('donations').where({ resident_id: residentId }).orderBy('seq', 'desc').limit(limit).select<DonationRow[]>(DONATION);
    if (beforeSeq !== undefined) query.where('seq', '<', beforeSeq);
    return query;
  }

  async receipt(db: Knex, donationId: string): Promise<ReceiptRow | undefined> {
    const { rows } = await db.raw<{ rows: ReceiptRow[] }>(
      `SELECT ${DONATION.map((c) => `d.${c}`).join(', ')}, p.name AS project_name, r.name AS donor_name,
         to_char(d.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day
       FROM donations d JOIN charity_projects p ON p.id = d.project_id JOIN residents r ON r.id = d.resident_id
       WHERE d.id = ?`,
      [donationId],
    );
    return rows[0];
  }
}
