import type { Knex } from 'knex';

/**
 * The outcome of every money-moving request, by the API key that sent it and its
 * Idempotency-Key, written in the same database transaction as the money moved.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE idempotency_keys (
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      key text NOT NULL,
      fingerprint char(64) NOT NULL,
      status_code smallint NOT NULL,
      body jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (api_key_id, key)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE idempotency_keys');
}
