import type { Knex } from 'knex';

const APPEND_ONLY = ['ledger_accounts', 'ledger_transactions', 'ledger_entries', 'ledger_chain'];

/**
 * The ledger. Accounts, transactions, entries and the hash chain are append-only,
 * enforced here by triggers so that not even a bug in the service can rewrite history.
 * Balances are a projection kept in the same database transaction as the entries,
 * and verified against them by the auditor's endpoint.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE ledger_accounts (
      id text PRIMARY KEY,
      owner_type text NOT NULL,
      owner_id text NOT NULL,
      kind text NOT NULL,
      currency char(3) NOT NULL CHECK (currency = 'CNY'),
      may_go_negative boolean NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_type, owner_id)`,
    // Accounts that may go negative are the hot ones (a canteen, the treasury). Their
    // balance is spread over shards so concurrent writers do not queue on one row;
    // guarded accounts use shard 0 alone, and it is the row writers lock.
    `CREATE TABLE ledger_balances (
      account_id text NOT NULL REFERENCES ledger_accounts (id),
      shard smallint NOT NULL CHECK (shard >= 0),
      may_go_negative boolean NOT NULL,
      balance numeric(20, 2) NOT NULL DEFAULT 0,
      PRIMARY KEY (account_id, shard),
      CHECK (may_go_negative OR (shard = 0 AND balance >= 0))
    )`,
    `CREATE TABLE ledger_transactions (
      id uuid PRIMARY KEY,
      kind text NOT NULL,
      body_hash text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      -- The writing transaction's id lets the sealer know when everything before a
      -- point has committed (ids and timestamps are not in commit order).
      xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    )`,
    `CREATE INDEX ledger_transactions_xid ON ledger_transactions (xid, id)`,
    `CREATE TABLE ledger_entries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
      account_id text NOT NULL REFERENCES ledger_accounts (id),
      amount numeric(20, 2) NOT NULL CHECK (amount <> 0)
    )`,
    `CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id)`,
    `CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id)`,
    `CREATE TABLE ledger_chain (
      position bigint PRIMARY KEY CHECK (position > 0),
      transaction_id uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
      prev_hash char(64) NOT NULL,
      hash char(64) NOT NULL,
      sealed_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE ledger_sealer (
      id smallint PRIMARY KEY CHECK (id = 1),
      last_xid xid8 NOT NULL,
      last_id uuid NOT NULL
    )`,
    `INSERT INTO ledger_sealer VALUES (1, '0', '00000000-0000-0000-0000-000000000000')`,
    `CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$`,
    // Every statement that writes entries writes whole transactions, so a set-based
    // check over the statement's new rows proves each transaction sums to zero.
    `CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM new_entries GROUP BY transaction_id HAVING sum(amount) <> 0 OR count(*) < 2) THEN
        RAISE EXCEPTION 'ledger transaction does not balance' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
      REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced()`,
  ];
  for (const table of APPEND_ONLY) {
    statements.push(
      `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`,
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`,
    );
  }
  for (const sql of statements) await knex.raw(sql);
}

export async function down(): Promise<void> {
  throw new Error('the ledger is append-only; its migration cannot be undone');
}
