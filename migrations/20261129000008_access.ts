import type { Knex } from 'knex';

/**
 * Door access (门禁). Decisions are made from an in-memory index on every instance;
 * these tables are its source. Changes that can alter a decision (and API key
 * revocations) notify the channel `access_changes` from triggers, so that every
 * instance sharing the database reloads what changed, whichever code path made it.
 *
 * Offline controllers get per-door allowlists. `allowlist_entries` is the list as
 * last served, one row per (door, uid) with the door version at which it last
 * changed; a removed UID stays as a tombstone so that deltas can report it.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE doors (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      community text NOT NULL,
      -- NULL: a community gate, open to everyone living in the community.
      building text,
      created_at timestamptz NOT NULL DEFAULT now(),
      list_version bigint NOT NULL DEFAULT 0,
      -- Tombstones below this version were purged: a delta from before it is a full list.
      list_floor bigint NOT NULL DEFAULT 0
    )`,
    `CREATE INDEX doors_address ON doors (community, building)`,
    `CREATE TABLE door_grants (
      id uuid PRIMARY KEY,
      door_id uuid NOT NULL REFERENCES doors (id),
      resident_id uuid NOT NULL REFERENCES residents (id),
      valid_from date,
      valid_until date,
      hours_from smallint CHECK (hours_from BETWEEN 0 AND 1439),
      hours_to smallint CHECK (hours_to BETWEEN 0 AND 1439),
      api_key_id uuid NOT NULL REFERENCES api_keys (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      revoked_by uuid REFERENCES api_keys (id),
      CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from),
      CHECK ((hours_from IS NULL) = (hours_to IS NULL) AND (hours_from IS NULL OR hours_from <> hours_to)),
      CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
    )`,
    `CREATE INDEX door_grants_door ON door_grants (door_id) WHERE revoked_at IS NULL`,
    `CREATE INDEX door_grants_resident ON door_grants (resident_id) WHERE revoked_at IS NULL`,
    `CREATE TABLE allowlist_entries (
      door_id uuid NOT NULL REFERENCES doors (id),
      uid text NOT NULL,
      -- NULL: always; otherwise the grant windows an offline controller must apply itself.
      limits jsonb,
      version bigint NOT NULL,
      removed boolean NOT NULL DEFAULT false,
      changed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (door_id, uid)
    )`,
    `CREATE INDEX allowlist_entries_version ON allowlist_entries (door_id, version)`,
    // Not ledger data: trimmed by the retention job, so no foreign keys to slow the writer.
    `CREATE TABLE access_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      door_id uuid NOT NULL,
      uid text NOT NULL,
      card_id uuid,
      decision text NOT NULL CHECK (decision IN ('allow', 'deny')),
      reason text NOT NULL,
      rule text NOT NULL,
      api_key_id uuid NOT NULL,
      at timestamptz NOT NULL
    )`,
    `CREATE INDEX access_events_door ON access_events (door_id, id)`,
    `CREATE INDEX access_events_card ON access_events (card_id, id) WHERE card_id IS NOT NULL`,
    `CREATE INDEX access_events_at ON access_events (at)`,
    `CREATE FUNCTION access_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('access_changes', TG_TABLE_NAME || ':' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER cards_access_notify AFTER INSERT OR UPDATE OF status ON cards
      FOR EACH ROW EXECUTE FUNCTION access_notify()`,
    `CREATE TRIGGER residents_access_notify AFTER UPDATE OF community, building ON residents
      FOR EACH ROW EXECUTE FUNCTION access_notify()`,
    // There is no API to move or delete a door or a grant, but whoever does it in SQL must not leave stale decisions.
    `CREATE TRIGGER doors_access_notify AFTER INSERT OR UPDATE OF community, building OR DELETE ON doors
      FOR EACH ROW EXECUTE FUNCTION access_notify()`,
    `CREATE TRIGGER door_grants_access_notify AFTER INSERT OR UPDATE OR DELETE ON door_grants
      FOR EACH ROW EXECUTE FUNCTION access_notify()`,
    // A revoked key must stop working on every instance, not only when their key caches expire.
    `CREATE TRIGGER api_keys_access_notify AFTER UPDATE OF revoked_at ON api_keys
      FOR EACH ROW EXECUTE FUNCTION access_notify()`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS api_keys_access_notify ON api_keys');
  await knex.raw('DROP TRIGGER IF EXISTS door_grants_access_notify ON door_grants');
  await knex.raw('DROP TRIGGER IF EXISTS doors_access_notify ON doors');
  await knex.raw('DROP TRIGGER IF EXISTS residents_access_notify ON residents');
  await knex.raw('DROP TRIGGER IF EXISTS cards_access_notify ON cards');
  await knex.raw('DROP FUNCTION IF EXISTS access_notify()');
  await knex.raw('DROP TABLE IF EXISTS access_events, allowlist_entries, door_grants, doors');
}
