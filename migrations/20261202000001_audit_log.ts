import type { Knex } from 'knex';

/**
 * The audit trail of staff actions (src/audit/): who (the key, with its name and role
 * as they were then), what (method, route pattern, path parameters, resource ids, a
 * summary without personal data), when, from where (the socket's address), and how it
 * ended (status and error code). Append-only, enforced by triggers as the ledger is:
 * the service only ever INSERTs and SELECTs here.
 *
 * No foreign key to api_keys: a row is a snapshot that must outlive whatever happens to
 * the key, and a failed authentication has no key to point at.
 */
export async function up(knex: Knex): Promise<void> {
  const statements = [
    `CREATE TABLE audit_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      api_key_id uuid,
      key_name text,
      key_role text,
      -- the first characters of the key presented, to recognise it (api_keys.key_prefix); never the key
      key_prefix text,
      remote_address inet,
      -- X-Forwarded-For as the client sent it: a claim, not trusted, kept for the record
      forwarded_for text,
      method text NOT NULL,
      route text NOT NULL,
      params jsonb NOT NULL DEFAULT '{}',
      resource_ids text[] NOT NULL DEFAULT '{}',
      status_code smallint NOT NULL,
      outcome text NOT NULL,
      summary jsonb NOT NULL DEFAULT '{}',
      request_id text
    )`,
    // Newest first by id (the primary key); by key; by time range; by resource.
    `CREATE INDEX audit_events_key ON audit_events (api_key_id, id)`,
    `CREATE INDEX audit_events_at ON audit_events (at)`,
    `CREATE INDEX audit_events_action ON audit_events (route, method, id)`,
    `CREATE INDEX audit_events_resources ON audit_events USING gin (resource_ids)`,
    `CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit log % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$`,
    // Statement triggers: an UPDATE or DELETE is refused even when it matches no row.
    `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(): Promise<void> {
  throw new Error('the audit log is append-only; its migration cannot be undone');
}
