import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';

/** Shanghai's calendar day, as the eligibility rule computes ages. */
const SHANGHAI_TODAY = `(now() AT TIME ZONE 'Asia/Shanghai')::date`;

/**
 * Residents and their active cards, written straight into the tables with
 * `INSERT ... SELECT generate_series` (the HTTP desk would take minutes for 160,000).
 * Eligible residents are 60 years and 2 days to about 90 years old on Shanghai's
 * today; the ineligible ones 20 to 59. Every resident gets one active card with a
 * distinct 4-byte UID and, as issuing a card does, an open cash wallet in the ledger
 * (its account and zero shard-0 balance row). No card_events are written (nothing
 * here reads them), and the cash wallets hold nothing until a top-up.
 */
export async function seedResidents(knex: Knex, eligible: number, ineligible: number): Promise<{ residents: number; cards: number; seconds: number }> {
  const t0 = performance.now();
  await insertResidents(knex, 1, eligible, 60, 30 * 365);
  if (ineligible > 0) await insertResidents(knex, eligible + 1, eligible + ineligible, 20, 39 * 365);
  const cards = await knex.raw<{ rowCount: number }>(
    `INSERT INTO cards (id, uid, resident_id, status)
     SELECT gen_random_uuid(), lpad(upper(to_hex(row_number() OVER ())), 8, '0'), r.id, 'active' FROM residents r`,
  );
  await knex.raw(
    `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
     SELECT 'cash:' || r.id, 'resident', r.id::text, 'cash_wallet', 'CNY', false FROM residents r`,
  );
  await knex.raw(`INSERT INTO ledger_balances (account_id, shard, may_go_negative, balance) SELECT 'cash:' || r.id, 0, false, 0 FROM residents r`);
  // The planner gets real statistics, as autovacuum would give it on a live database.
  await knex.raw('VACUUM ANALYZE residents');
  await knex.raw('VACUUM ANALYZE cards');
  await knex.raw('VACUUM ANALYZE ledger_accounts');
  await knex.raw('VACUUM ANALYZE ledger_balances');
  return { residents: eligible + ineligible, cards: cards.rowCount, seconds: Math.round(performance.now() - t0) / 1000 };
}

async function insertResidents(knex: Knex, from: number, to: number, minYears: number, spreadDays: number): Promise<void> {
  await knex.raw(
    `INSERT INTO residents (id, name, id_number_hash, id_number_masked, birth_date, phone, community, building, unit, room, tags)
     SELECT gen_random_uuid(),
            '住户' || i,
            md5(i::text) || md5(i::text || 'x'),
            NULL, -- no ID number: the plaintext column takes none any more, and the encrypted one needs the service's key
            (${SHANGHAI_TODAY} - make_interval(years => ?, days => 2 + i % ?))::date,
            NULL,
            '陆家嘴街道' || (1 + i % 31) || '居委',
            (1 + i % 400) || '号楼',
            (1 + i % 6)::text,
            (101 + i % 30)::text,
            CASE WHEN i % 10 = 0 THEN ARRAY['dibao'] ELSE '{}'::text[] END
     FROM generate_series(?::int, ?::int) AS i`,
    [minYears, spreadDays, from, to],
  );
}

/** UIDs and card ids of the first `n` eligible residents' cards, for the payment load. */
export async function paymentCards(knex: Knex, n: number): Promise<{ cardId: string; uid: string }[]> {
  const { rows } = await knex.raw<{ rows: { id: string; uid: string }[] }>(
    `SELECT c.id, c.uid FROM cards c WHERE c.status = 'active' ORDER BY c.uid LIMIT ?`,
    [n],
  );
  return rows.map((r) => ({ cardId: r.id, uid: r.uid }));
}
