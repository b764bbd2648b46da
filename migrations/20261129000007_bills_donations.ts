import type { Knex } from 'knex';

/**
 * Bills (缴费) and charity donations (行善). Like the money tables, these are the
 * business records; the money moves in the ledger and each payment or donation names
 * its ledger transaction. Payments and donations are append-only; a bill changes only
 * once, from unpaid to paid.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE bills (
      id uuid PRIMARY KEY,
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      resident_id uuid NOT NULL REFERENCES residents (id),
      payee text NOT NULL CHECK (payee IN ('water', 'electricity', 'gas', 'property')),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      due_date date NOT NULL,
      reference text NOT NULL,
      status text NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'paid')),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      paid_at timestamptz,
      -- A reference is the utility's bill number: the same one twice is the same bill entered twice.
      CONSTRAINT bills_reference_unique UNIQUE (reference),
      CHECK ((status = 'paid') = (paid_at IS NOT NULL))
    )`,
    // A resident's list is newest first by seq, which is also its cursor.
    `CREATE INDEX bills_resident ON bills (resident_id, seq)`,
    `CREATE FUNCTION bills_only_get_paid() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bills are never deleted' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF OLD.status <> 'unpaid' OR NEW.status <> 'paid'
         OR (NEW.id, NEW.resident_id, NEW.payee, NEW.amount, NEW.due_date, NEW.reference, NEW.api_key_id, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.resident_id, OLD.payee, OLD.amount, OLD.due_date, OLD.reference, OLD.api_key_id, OLD.created_at) THEN
        RAISE EXCEPTION 'a bill only ever changes from unpaid to paid' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`,
    `CREATE TRIGGER bills_paid_once BEFORE UPDATE OR DELETE ON bills FOR EACH ROW EXECUTE FUNCTION bills_only_get_paid()`,
    `CREATE TABLE bill_payments (
      id uuid PRIMARY KEY,
      bill_id uuid NOT NULL REFERENCES bills (id),
      card_id uuid NOT NULL REFERENCES cards (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      -- The last line of defence for "exactly once": the bill row lock is the first.
      CONSTRAINT bill_payments_once UNIQUE (bill_id)
    )`,
    `CREATE TABLE charity_projects (
      id uuid PRIMARY KEY,
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      name text NOT NULL,
      goal numeric(20, 2) CHECK (goal > 0),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    // One row per project and Shanghai year, locked by the donation that takes the next
    // number: a donation that rolls back gives its number back, so there are no gaps.
    `CREATE TABLE donation_receipt_counters (
      project_id uuid NOT NULL REFERENCES charity_projects (id),
      year smallint NOT NULL,
      last_no integer NOT NULL CHECK (last_no > 0),
      PRIMARY KEY (project_id, year)
    )`,
    `CREATE TABLE donations (
      id uuid PRIMARY KEY,
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      project_id uuid NOT NULL REFERENCES charity_projects (id),
      card_id uuid NOT NULL REFERENCES cards (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      amount numeric(20, 2) NOT NULL CHECK (amount > 0),
      receipt_year smallint NOT NULL,
      receipt_seq integer NOT NULL CHECK (receipt_seq > 0),
      receipt_no text NOT NULL,
      transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT donations_receipt_unique UNIQUE (project_id, receipt_year, receipt_seq)
    )`,
    `CREATE INDEX donations_resident ON donations (resident_id, seq)`,
    `CREATE INDEX donations_project ON donations (project_id)`,
  ];
  for (const table of ['bill_payments', 'donations']) {
    statements.push(
      `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`,
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`,
    );
  }
  for (const sql of statements) await knex.raw(sql);
}

export async function down(): Promise<void> {
  throw new Error('bill payments and donations are append-only; this migration cannot be undone');
}
