import type { Knex } from 'knex';

/**
 * Every idempotency record is written twice in one transaction: claimed (an empty body),
 * then completed with the answer. With full pages the completed version lands on another
 * page, so each request left a dead row version and a second index entry that only VACUUM
 * removes, and VACUUM's index pass reads the whole primary key every time: in the
 * 10-minute soak each vacuum of this table took longer than the last (3.5 s to 9.6 s) and
 * held up payments while it ran. With room kept on each page for the completed versions
 * (a claim is about 170 bytes, a completed payment about 480), the update stays on the
 * page (a HOT update): the claim's version is pruned in place, the index gets no second
 * entry, and VACUUM skips its index pass. Pages written before this keep their layout.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE idempotency_keys SET (fillfactor = 25)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE idempotency_keys RESET (fillfactor)');
}
