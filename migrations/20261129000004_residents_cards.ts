import type { Knex } from 'knex';

/**
 * Residents and their cards. A resident's ID number is kept only as a keyed hash (for
 * exact look-up) and a masked form (for display). Card history is append-only, like
 * the ledger: it is the record of who locked, replaced or closed which card and why.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE residents (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      id_number_hash char(64) NOT NULL,
      id_number_masked text NOT NULL,
      birth_date date NOT NULL,
      phone text,
      community text NOT NULL,
      building text NOT NULL,
      unit text,
      room text,
      tags text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT residents_id_number_unique UNIQUE (id_number_hash)
    )`,
    `CREATE INDEX residents_address ON residents (community, building)`,
    `CREATE TABLE cards (
      id uuid PRIMARY KEY,
      uid text NOT NULL CHECK (uid ~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$'),
      resident_id uuid NOT NULL REFERENCES residents (id),
      status text NOT NULL CHECK (status IN ('active', 'locked', 'replaced', 'closed')),
      lock_reason text CHECK (lock_reason IN ('lost', 'stolen', 'suspended')),
      replaces_card_id uuid REFERENCES cards (id),
      issued_at timestamptz NOT NULL DEFAULT now(),
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'locked') = (lock_reason IS NOT NULL) OR status IN ('replaced', 'closed'))
    )`,
    // The rules "a UID belongs to at most one card that is not closed" and "a resident
    // holds at most one usable card" are the database's, so concurrent desks cannot break them.
    `CREATE UNIQUE INDEX cards_uid_in_use ON cards (uid) WHERE status <> 'closed'`,
    `CREATE UNIQUE INDEX cards_one_per_resident ON cards (resident_id) WHERE status IN ('active', 'locked')`,
    `CREATE UNIQUE INDEX cards_replaced_once ON cards (replaces_card_id) WHERE replaces_card_id IS NOT NULL`,
    `CREATE INDEX cards_resident ON cards (resident_id)`,
    `CREATE TABLE retired_uids (
      uid text PRIMARY KEY,
      card_id uuid NOT NULL REFERENCES cards (id),
      reason text NOT NULL,
      retired_at timestamptz NOT NULL DEFAULT now()
    )`,
    // A UID retired by a concurrent close must not slip past the issuing desk's earlier
    // check: this runs after the row is in (and after any wait on the UID index), and its
    // query sees what committed meanwhile.
    `CREATE FUNCTION cards_reject_retired_uid() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM retired_uids WHERE uid = NEW.uid) THEN
        RAISE EXCEPTION 'UID % was retired', NEW.uid USING ERRCODE = 'check_violation', CONSTRAINT = 'cards_uid_not_retired';
      END IF;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER cards_uid_not_retired AFTER INSERT ON cards FOR EACH ROW EXECUTE FUNCTION cards_reject_retired_uid()`,
    `CREATE TABLE card_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      card_id uuid NOT NULL REFERENCES cards (id),
      action text NOT NULL CHECK (action IN ('issued', 'locked', 'unlocked', 'replaced', 'closed')),
      from_status text,
      to_status text NOT NULL,
      reason text,
      related_card_id uuid REFERENCES cards (id),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      api_key_name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX card_events_card ON card_events (card_id, id)`,
    `CREATE TRIGGER card_events_no_update_delete BEFORE UPDATE OR DELETE ON card_events FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`,
    `CREATE TRIGGER card_events_no_truncate BEFORE TRUNCATE ON card_events FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`,
    // The service centre's cash desk: where cash comes in on top-ups and goes out when a card is closed.
    `INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative)
     VALUES ('system:cash_desk', 'system', 'cash_desk', 'cash_desk', 'CNY', true)`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(): Promise<void> {
  throw new Error('card history is append-only; this migration cannot be undone');
}
