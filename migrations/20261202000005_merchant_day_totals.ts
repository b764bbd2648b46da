import type { Knex } from 'knex';

/**
 * A merchant's totals per Shanghai day, kept as payments and refunds are written, so the
 * end-of-day list's totals cost a handful of rows instead of a pass over every payment of
 * the day (the 10-minute soak showed that pass growing with the day until it took most
 * of PostgreSQL's time). The payments and refunds stay the record; these rows are their
 * running sums and can always be rebuilt from them.
 *
 * Like the hot ledger balances, a (merchant, day) has up to 16 rows, one per shard: each
 * payment batch in flight adds to its own shard, so concurrent batches never wait on
 * each other's row lock. A refund adds `refunded_amount` to the day of the payment it
 * refunds, which is the day the list counts it under.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE merchant_day_totals (
      merchant_id uuid NOT NULL REFERENCES merchants (id),
      day date NOT NULL,
      shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
      approved_count bigint NOT NULL DEFAULT 0 CHECK (approved_count >= 0),
      approved_amount numeric(20, 2) NOT NULL DEFAULT 0 CHECK (approved_amount >= 0),
      declined_count bigint NOT NULL DEFAULT 0 CHECK (declined_count >= 0),
      refunded_amount numeric(20, 2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
      PRIMARY KEY (merchant_id, day, shard)
    ) WITH (fillfactor = 50)`, // room on each page for the next version of its rows: updates stay HOT
    // The sums of what is already there, on shard 0.
    `INSERT INTO merchant_day_totals (merchant_id, day, shard, approved_count, approved_amount, declined_count, refunded_amount)
     SELECT p.merchant_id, (p.created_at AT TIME ZONE 'Asia/Shanghai')::date, 0,
            count(*) FILTER (WHERE p.status = 'approved'),
            coalesce(sum(p.amount) FILTER (WHERE p.status = 'approved'), 0),
            count(*) FILTER (WHERE p.status = 'declined'),
            coalesce(sum(r.refunded), 0)
     FROM payments p
     LEFT JOIN (SELECT payment_id, sum(amount) AS refunded FROM refunds GROUP BY payment_id) r ON r.payment_id = p.id
     GROUP BY 1, 2`,
    // Running sums are updated in place (ON CONFLICT DO UPDATE); see 20261202000003_db_roles.
    `GRANT UPDATE ON merchant_day_totals TO ccard_app`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE merchant_day_totals');
}
