/**
 * SQL pieces for `merchant_day_totals` (migration 20261202000005): a merchant's running
 * sums per Shanghai day, on shards like the hot balances. A payment batch adds its
 * payments to its own shard in the statement that writes them; a refund adds to a random
 * shard of its payment's day.
 */

export const INSERT_TOTALS = `INSERT INTO merchant_day_totals AS t (merchant_id, day, shard, approved_count, approved_amount, declined_count, refunded_amount)`;

export const ADD_TO_TOTALS = `ON CONFLICT (merchant_id, day, shard) DO UPDATE SET
  approved_count = t.approved_count + EXCLUDED.approved_count,
  approved_amount = t.approved_amount + EXCLUDED.approved_amount,
  declined_count = t.declined_count + EXCLUDED.declined_count,
  refunded_amount = t.refunded_amount + EXCLUDED.refunded_amount`;
