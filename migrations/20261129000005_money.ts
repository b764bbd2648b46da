import type { Knex } from 'knex';

/**
 * Merchants, top-ups, payments and refunds. These tables are the business records;
 * the money itself moves in the ledger, and each record names its ledger transaction.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE merchants (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      category text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_-]{0,31}$'),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `ALTER TABLE api_keys ADD CONSTRAINT api_keys_merchant FOREIGN KEY (merchant_id) REFERENCES merchants (id)`,
    `CREATE TABLE top_ups (
      id uuid PRIMARY KEY,
      card_id uuid NOT NULL REFERENCES cards (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      method text NOT NULL CHECK (method IN ('cash', 'bank_card', 'mobile')),
      transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE payments (
      id uuid PRIMARY KEY,
      merchant_id uuid NOT NULL REFERENCES merchants (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      uid text NOT NULL,
      card_id uuid REFERENCES cards (id),
      resident_id uuid REFERENCES residents (id),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('approved', 'declined')),
      decline_code text,
      description text,
      funding jsonb NOT NULL DEFAULT '[]',
      transaction_id uuid REFERENCES ledger_transactions (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'approved') = (transaction_id IS NOT NULL AND decline_code IS NULL))
    )`,
    // A merchant's end-of-day list is by creation time; (merchant, created_at, id) serves it and its cursor.
    `CREATE INDEX payments_merchant_time ON payments (merchant_id, created_at, id)`,
    `CREATE TABLE refunds (
      id uuid PRIMARY KEY,
      payment_id uuid NOT NULL REFERENCES payments (id),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      funding jsonb NOT NULL,
      transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX refunds_payment ON refunds (payment_id)`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const sql of [
    'DROP TABLE refunds',
    'DROP TABLE payments',
    'DROP TABLE top_ups',
    'ALTER TABLE api_keys DROP CONSTRAINT api_keys_merchant',
    'DROP TABLE merchants',
  ]) {
    await knex.raw(sql);
  }
}
