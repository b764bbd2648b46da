import type { Knex } from 'knex';

/** What merchant_day_totals must add up to per (merchant, Shanghai day), recomputed from the payments and refunds themselves. */
const RECOMPUTED = `
  SELECT p.merchant_id, (p.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
         count(*) FILTER (WHERE p.status = 'approved') AS approved_count,
         coalesce(sum(p.amount) FILTER (WHERE p.status = 'approved'), 0) AS approved_amount,
         count(*) FILTER (WHERE p.status = 'declined') AS declined_count,
         coalesce(sum(r.refunded), 0) AS refunded_amount
  FROM payments p
  LEFT JOIN (SELECT payment_id, sum(amount) AS refunded FROM refunds GROUP BY payment_id) r ON r.payment_id = p.id
  GROUP BY 1, 2`;

/**
 * Every (merchant, day) whose kept sums differ from the records: none when the running
 * totals are exact. Plain SQL, so the crash campaign can run it on its own connection.
 */
export const TOTALS_DRIFT_SQL = `
  WITH kept AS (
    SELECT merchant_id, day, sum(approved_count) AS approved_count, sum(approved_amount) AS approved_amount,
           sum(declined_count) AS declined_count, sum(refunded_amount) AS refunded_amount
    FROM merchant_day_totals GROUP BY 1, 2
  ), recomputed AS (${RECOMPUTED})
  SELECT coalesce(k.merchant_id, r.merchant_id) AS merchant_id, coalesce(k.day, r.day)::text AS day,
         row_to_json(k)::text AS kept, row_to_json(r)::text AS recomputed
  FROM kept k FULL JOIN recomputed r ON r.merchant_id = k.merchant_id AND r.day = k.day
  WHERE (k.approved_count, k.approved_amount, k.declined_count, k.refunded_amount)
        IS DISTINCT FROM (r.approved_count, r.approved_amount, r.declined_count, r.refunded_amount)`;

export async function totalsDrift(knex: Knex): Promise<{ merchant_id: string; day: string; kept: string | null; recomputed: string | null }[]> {
  return (await knex.raw(TOTALS_DRIFT_SQL)).rows;
}

/** For a test that moved payments in time by hand: the merchant's kept sums rebuilt from its records. */
export async function rebuildMerchantTotals(knex: Knex, merchantId: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('merchant_day_totals').where({ merchant_id: merchantId }).del();
    await trx.raw(
      `INSERT INTO merchant_day_totals (merchant_id, day, shard, approved_count, approved_amount, declined_count, refunded_amount)
       SELECT merchant_id, day, 0, approved_count, approved_amount, declined_count, refunded_amount FROM (${RECOMPUTED}) r WHERE merchant_id = ?`,
      [merchantId],
    );
  });
}
