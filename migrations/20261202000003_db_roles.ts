import type { Knex } from 'knex';

/**
 * Database-level defence by roles. The service serves as `ccard_app`, a NOLOGIN group
 * role holding exactly what the service needs; a login role for the service is a member
 * of it (README: "Running against a PostgreSQL server with restricted roles"), or the
 * service does `SET ROLE ccard_app` on its pool connections after migrating
 * (src/db/open-database.ts). Roles are cluster-wide and databases are many: the role is
 * created only if it is missing, the grants are this database's.
 *
 * What ccard_app gets, table by table:
 * - SELECT, INSERT on every table, then UPDATE and/or DELETE only where the service
 *   changes rows in place (MUTABLE below);
 * - never UPDATE, DELETE or TRUNCATE on the journal (JOURNAL below: the ledger, card
 *   history, bill payments, donations and the audit log, the tables whose triggers also
 *   reject any change), so a rewrite fails on the grant before any trigger runs;
 * - no TRUNCATE, REFERENCES or TRIGGER anywhere, no CREATE on the schema (no DDL);
 * - USAGE on sequences (nextval for a serial column; identity columns need nothing);
 * - only SELECT on knex's own tables (the health check lists pending migrations).
 *
 * THE RULE FOR LATER MIGRATIONS. Default privileges below give every table a later
 * migration creates SELECT, INSERT for ccard_app (and sequences USAGE): append-only by
 * default. A later migration that creates or changes a table then tightens or widens it
 * itself, per table, in the same migration:
 * - GRANT UPDATE and/or DELETE ON <table> TO ccard_app only where the service really
 *   updates or deletes rows (column-level `GRANT UPDATE (col)` where that is enough);
 *   note that SELECT ... FOR UPDATE / FOR SHARE also needs UPDATE on at least one column;
 * - REVOKE INSERT (or SELECT) ON <table> FROM ccard_app where the service must not have it;
 * - never GRANT UPDATE, DELETE or TRUNCATE on a journal table, nor TRUNCATE anywhere;
 * - run as the same role as every other migration (the schema owner): default
 *   privileges only cover tables that role creates. test/db-roles.test.ts checks every
 *   table, so a table that falls outside the rule fails the tests.
 */

const ROLE = 'ccard_app';

/** Append-only records, each with triggers refusing any change: SELECT, INSERT and nothing else, ever. */
export const JOURNAL = [
  'ledger_accounts',
  'ledger_transactions',
  'ledger_entries',
  'ledger_chain',
  'card_events',
  'bill_payments',
  'donations',
  'audit_events', // 20261202000001_audit_log
];

/** What the service does to rows in place, beyond SELECT and INSERT (src/: .update, .del, ON CONFLICT DO UPDATE, FOR UPDATE). */
export const MUTABLE: Record<string, string> = {
  api_keys: 'UPDATE', // revocation
  idempotency_keys: 'UPDATE', // a pending outcome is completed
  ledger_balances: 'UPDATE', // the projection of the entries; rows locked FOR UPDATE
  residents: 'UPDATE', // address, phone, tags; PII encrypted at start (pii-maintenance); FOR SHARE / FOR UPDATE
  cards: 'UPDATE', // status changes; FOR UPDATE / FOR SHARE / FOR KEY SHARE
  subsidy_discount_uses: 'UPDATE', // ON CONFLICT DO UPDATE of the day's count
  bills: 'UPDATE', // unpaid -> paid (the trigger allows nothing else); FOR UPDATE
  donation_receipt_counters: 'UPDATE', // the next receipt number
  doors: 'UPDATE', // allowlist version and floor; FOR UPDATE
  door_grants: 'UPDATE', // revocation; FOR UPDATE
  allowlist_entries: 'UPDATE, DELETE', // upserts; tombstones are purged
  access_events: 'DELETE', // the retention job (not ledger data)
};

/**
 * Tables the service only locks (SELECT ... FOR UPDATE needs UPDATE on some column) and
 * never updates: UPDATE on one column that carries no money, state or time, nothing else.
 */
export const LOCK_ONLY: Record<string, string> = {
  payments: 'description', // a refund locks its payment
  subsidy_programs: 'name', // funding and disbursement lock their program
};

/** Read, never written: the sealer's cursor is only moved; knex's bookkeeping only read. */
const NO_INSERT = ['ledger_sealer', 'knex_migrations', 'knex_migrations_lock'];
const EXTRA_UPDATE = { ledger_sealer: 'UPDATE' };

export async function up(knex: Knex): Promise<void> {
  // Concurrent migrations of two databases may both find the role missing: the loser's
  // CREATE fails with duplicate_object (or unique_violation on the catalog), which is fine.
  await knex.raw(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN
        BEGIN
          CREATE ROLE ${ROLE} NOLOGIN;
        EXCEPTION
          WHEN duplicate_object OR unique_violation THEN NULL;
          WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'role ${ROLE} does not exist and % may not create it', current_user
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'as a superuser: CREATE ROLE ${ROLE} NOLOGIN; then migrate again (README: restricted roles)';
        END;
      END IF;
    END $$`);

  const statements = [
    // Start from nothing, whatever the role held here before, then grant.
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${ROLE}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${ROLE}`,
    // No DDL: PostgreSQL 15 already withholds CREATE on public from PUBLIC; a database
    // upgraded from an older version may still grant it.
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA public TO ${ROLE}`,
    `GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO ${ROLE}`,
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`,
    ...NO_INSERT.map((t) => `REVOKE INSERT ON ${t} FROM ${ROLE}`),
    `REVOKE USAGE ON SEQUENCE knex_migrations_id_seq, knex_migrations_lock_index_seq FROM ${ROLE}`,
    ...Object.entries({ ...MUTABLE, ...EXTRA_UPDATE }).map(([t, privileges]) => `GRANT ${privileges} ON ${t} TO ${ROLE}`),
    ...Object.entries(LOCK_ONLY).map(([t, column]) => `GRANT UPDATE (${column}) ON ${t} TO ${ROLE}`),
    // Tables and sequences created later by this (the migrating) role: append-only by default.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO ${ROLE}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${ROLE}`,
  ];
  for (const sql of statements) await knex.raw(sql);

  // The journal must come out of the above with nothing but SELECT, INSERT: say so if not.
  const { rows } = await knex.raw<{ rows: { t: string }[] }>(
    `SELECT t FROM unnest(ARRAY[${JOURNAL.map((t) => `'${t}'`).join(', ')}]) t
     WHERE CASE WHEN to_regclass(t) IS NULL THEN false
                ELSE has_any_column_privilege('${ROLE}', t, 'UPDATE') OR has_table_privilege('${ROLE}', t, 'DELETE')
                  OR has_table_privilege('${ROLE}', t, 'TRUNCATE') END`,
  );
  if (rows.length > 0) throw new Error(`journal tables writable by ${ROLE}: ${rows.map((r) => r.t).join(', ')}`);
}

/** Takes the grants back from this database; the role stays (other databases may use it). */
export async function down(knex: Knex): Promise<void> {
  for (const sql of [
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${ROLE}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${ROLE}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${ROLE}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${ROLE}`,
    `REVOKE ALL ON SCHEMA public FROM ${ROLE}`,
  ]) {
    await knex.raw(sql);
  }
}
