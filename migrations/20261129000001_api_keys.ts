import type { Knex } from 'knex';

/** API keys are stored only as SHA-256 hashes: the key itself is shown once, at creation. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY,
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'merchant', 'door', 'auditor')),
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      merchant_id uuid,
      door_ids uuid[],
      created_by uuid REFERENCES api_keys(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CHECK (role <> 'merchant' OR merchant_id IS NOT NULL),
      CHECK (role <> 'door' OR cardinality(door_ids) > 0)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE api_keys');
}
