import type { Knex } from 'knex';

/**
 * Every UID, closed cards' too: a payment or door check with a UID no usable card has
 * looks for the last card that had it (to decline with card_not_active rather than
 * unknown_card), and without this index that was a scan of every card.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX cards_uid_history ON cards (uid, issued_at DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS cards_uid_history');
}
