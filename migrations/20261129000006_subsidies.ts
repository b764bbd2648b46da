import type { Knex } from 'knex';

/**
 * Subsidy programs. Allowance money sits in one wallet per resident and disbursement
 * (a "lot"), so every lot keeps its own expiry; the wallet's money is in the ledger,
 * this table only says whose it is, for which program, and until when.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE subsidy_programs (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('allowance', 'discount')),
      merchant_categories text[] NOT NULL CHECK (cardinality(merchant_categories) > 0),
      min_age smallint CHECK (min_age >= 0),
      max_age smallint CHECK (max_age >= 0),
      tags text[] NOT NULL DEFAULT '{}',
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      valid_days integer CHECK (valid_days > 0),
      min_spend numeric(20, 2) CHECK (min_spend >= 0),
      daily_limit integer CHECK (daily_limit > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age),
      CHECK (kind <> 'allowance' OR valid_days IS NOT NULL)
    )`,
    `CREATE TABLE subsidy_disbursements (
      id uuid PRIMARY KEY,
      program_id uuid NOT NULL REFERENCES subsidy_programs (id),
      period char(7) NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      recipients integer NOT NULL,
      total numeric(20, 2) NOT NULL,
      expires_at timestamptz NOT NULL,
      transaction_id uuid REFERENCES ledger_transactions (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT subsidy_disbursements_once UNIQUE (program_id, period)
    )`,
    `CREATE TABLE subsidy_wallets (
      account_id text PRIMARY KEY REFERENCES ledger_accounts (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      program_id uuid NOT NULL REFERENCES subsidy_programs (id),
      disbursement_id uuid NOT NULL REFERENCES subsidy_disbursements (id),
      expires_at timestamptz NOT NULL
    )`,
    `CREATE INDEX subsidy_wallets_resident ON subsidy_wallets (resident_id, expires_at)`,
    `CREATE INDEX subsidy_wallets_expiry ON subsidy_wallets (program_id, expires_at)`,
    // Discounts used, per program, resident and Shanghai day, to enforce dailyLimit.
    `CREATE TABLE subsidy_discount_uses (
      program_id uuid NOT NULL REFERENCES subsidy_programs (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      day date NOT NULL,
      uses integer NOT NULL CHECK (uses >= 0),
      PRIMARY KEY (program_id, resident_id, day)
    )`,
    // The district treasury funds every program's budget.
    `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
     VALUES ('system:treasury', 'system', 'treasury', 'treasury', 'CNY', true)`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['subsidy_discount_uses', 'subsidy_wallets', 'subsidy_disbursements', 'subsidy_programs']) await knex.raw(`DROP TABLE ${t}`);
}
