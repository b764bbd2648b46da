import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AccessLog } from '../src/access/access-log';
import { AccessRetentionService } from '../src/access/access-retention.service';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { MIGRATIONS } from '../src/db/migrations';
import { mayServeAs, SERVICE_ROLE } from '../src/db/open-database';
import { JOURNAL } from '../migrations/20261202000003_db_roles';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { charityProject, createBill, donate, payBill } from './support/bills';
import { check, door, doorKey, eventually, lockCard, unlockCard } from './support/doors';
import { apiKey } from './support/factories';
import { TEST_SERVICE_LOGIN } from './support/global-setup';
import { approvedPayment, refund, terminal, topUp } from './support/money';
import { registerResident, issueCard } from './support/residents';
import { readTestEnv } from './support/test-env';

/**
 * Database-level defence by roles (migrations/20261202000003_db_roles.ts): the service
 * serves as ccard_app, which may not UPDATE, DELETE or TRUNCATE the journal whatever the
 * triggers say, has UPDATE/DELETE only where the service changes rows in place, and no
 * DDL. On a server the test apps serve as the login role TEST_SERVICE_LOGIN (a member of
 * ccard_app and nothing else), so every server-mode test runs the service under these grants.
 */
const mode = readTestEnv().mode;
const onServer = mode === 'server' ? test : test.skip;
const admin = bearer(TEST_ADMIN_KEY);

/** What ccard_app may do beyond SELECT and INSERT: the migration's MUTABLE, and the sealer's cursor. */
// Later migrations grant their own tables (see the rule in 20261202000003_db_roles).
const UPDATES_OR_DELETES: Record<string, string[]> = {
  access_events: ['DELETE'],
  allowlist_entries: ['DELETE', 'UPDATE'],
  api_keys: ['UPDATE'],
  bills: ['UPDATE'],
  cards: ['UPDATE'],
  donation_receipt_counters: ['UPDATE'],
  door_grants: ['UPDATE'],
  doors: ['UPDATE'],
  idempotency_keys: ['UPDATE'],
  ledger_balances: ['UPDATE'],
  ledger_sealer: ['UPDATE'],
  merchant_day_totals: ['UPDATE'], // 20261202000005: running sums, ON CONFLICT DO UPDATE
  residents: ['UPDATE'],
  subsidy_discount_uses: ['UPDATE'],
};
const LATER_MIGRATIONS_TABLES = ['merchant_day_totals'];
/** Locked FOR UPDATE but never updated: UPDATE on one harmless column, no more. */
const LOCK_ONLY_COLUMNS: Record<string, string[]> = { payments: ['description'], subsidy_programs: ['name'] };
const READ_ONLY = ['knex_migrations', 'knex_migrations_lock', 'ledger_sealer'];

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

interface Privileges {
  table: string;
  privileges: string[];
  updateColumns: string[];
}

/** ccard_app's privileges on every table of the schema, from the catalog. */
async function grants(knex: Knex | Knex.Transaction): Promise<Privileges[]> {
  const { rows } = await knex.raw<{ rows: { table: string; privileges: string[] | string; update_columns: string[] | string }[] }>(
    `SELECT c.relname AS table,
            array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                  WHERE has_table_privilege(?, c.oid, p)) AS privileges,
            array(SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND NOT has_table_privilege(?, c.oid, 'UPDATE') AND has_column_privilege(?, c.oid, a.attnum, 'UPDATE')
                  ORDER BY a.attname) AS update_columns
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
     ORDER BY c.relname`,
    [SERVICE_ROLE, SERVICE_ROLE, SERVICE_ROLE],
  );
  const list = (v: string[] | string) => (Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean));
  return rows.map((r) => ({ table: r.table, privileges: list(r.privileges).sort(), updateColumns: list(r.update_columns) }));
}

describe('the grants of ccard_app', () => {
  test('a NOLOGIN group role without any attribute of power', async () => {
    const role = await t.knex('pg_roles').where({ rolname: SERVICE_ROLE }).first('rolcanlogin', 'rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolreplication', 'rolbypassrls');
    expect(role).toEqual({ rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
  });

  test('the journal: SELECT and INSERT, never UPDATE, DELETE or TRUNCATE, not even of one column', async () => {
    const all = new Map((await grants(t.knex)).map((g) => [g.table, g]));
    for (const table of JOURNAL) {
      expect({ table, ...all.get(table) }).toEqual({ table, privileges: ['INSERT', 'SELECT'], updateColumns: [] });
    }
    expect([...JOURNAL].sort()).toEqual(['audit_events', 'bill_payments', 'card_events', 'donations', 'ledger_accounts', 'ledger_chain', 'ledger_entries', 'ledger_transactions']);
  });

  test('every table: what the service needs and no more; UPDATE/DELETE only where it changes rows in place', async () => {
    const all = await grants(t.knex);
    for (const { table, privileges, updateColumns } of all) {
      // A table the defaults missed (created by another role) would have nothing at all.
      expect({ table, reachable: privileges.includes('SELECT') }).toEqual({ table, reachable: true });
      expect({ table, insert: privileges.includes('INSERT') }).toEqual({ table, insert: !READ_ONLY.includes(table) });
      const changes = privileges.filter((p) => !['SELECT', 'INSERT'].includes(p)).sort();
      expect({ table, changes, updateColumns }).toEqual({ table, changes: UPDATES_OR_DELETES[table] ?? [], updateColumns: LOCK_ONLY_COLUMNS[table] ?? [] });
    }
    // The tables this migration knew are all there (later ones add to the list).
    expect(all.map((g) => g.table)).toEqual(expect.arrayContaining([...JOURNAL, ...Object.keys(UPDATES_OR_DELETES), ...Object.keys(LOCK_ONLY_COLUMNS), ...READ_ONLY]));
  });

  test('no DDL: no CREATE on the schema or the database, no setval on any sequence', async () => {
    const { rows } = await t.knex.raw(
      `SELECT has_schema_privilege(?, 'public', 'CREATE') AS schema_create, has_schema_privilege(?, 'public', 'USAGE') AS schema_usage,
              has_database_privilege(?, current_database(), 'CREATE') AS database_create,
              (SELECT count(*)::int FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
               WHERE n.nspname = 'public' AND CASE WHEN s.relkind = 'S' THEN has_sequence_privilege(?, s.oid, 'UPDATE') END) AS settable_sequences`,
      [SERVICE_ROLE, SERVICE_ROLE, SERVICE_ROLE, SERVICE_ROLE],
    );
    expect(rows[0]).toEqual({ schema_create: false, schema_usage: true, database_create: false, settable_sequences: 0 });
    await expect(asServiceRole(t.knex, (trx) => trx.raw('CREATE TABLE ccard_app_was_here (id int)'))).rejects.toMatchObject({ code: '42501' });
  });

  test('a table a later migration creates is append-only for ccard_app by default', async () => {
    await rolledBack(t.knex, async (trx) => {
      await trx.raw('CREATE TABLE later_journal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text)');
      await trx.raw('CREATE TABLE later_serial (id serial PRIMARY KEY, note text)');
      const later = (await grants(trx)).filter((g) => g.table.startsWith('later_'));
      expect(later).toEqual([
        { table: 'later_journal', privileges: ['INSERT', 'SELECT'], updateColumns: [] },
        { table: 'later_serial', privileges: ['INSERT', 'SELECT'], updateColumns: [] },
      ]);
      // Both kinds of key work for the role: an identity needs nothing, a serial's sequence has USAGE.
      await trx.raw(`SET LOCAL ROLE ${SERVICE_ROLE}`);
      await trx.raw(`INSERT INTO later_journal (note) VALUES ('a')`);
      await trx.raw(`INSERT INTO later_serial (note) VALUES ('b')`);
      await expect(savepoint(trx, (sp) => sp.raw('UPDATE later_journal SET note = note'))).rejects.toMatchObject({ code: '42501' });
    });
  });

  test('the migration runs again over its own grants, and down takes them all back', async () => {
    // Tables of later migrations carry those migrations' grants, which a re-run of this one alone resets.
    const own = (all: Awaited<ReturnType<typeof grants>>) => all.filter((g) => !LATER_MIGRATIONS_TABLES.includes(g.table));
    const before = own(await grants(t.knex));
    await rolledBack(t.knex, async (trx) => {
      await MIGRATIONS['20261202000003_db_roles'].up(trx);
      expect(own(await grants(trx))).toEqual(before);
      await MIGRATIONS['20261202000003_db_roles'].down(trx);
      expect((await grants(trx)).filter((g) => g.privileges.length > 0 || g.updateColumns.length > 0)).toEqual([]);
    });
  });
});

describe('as ccard_app, the journal refuses UPDATE, DELETE and TRUNCATE by the grant, not the triggers', () => {
  const attempts = (table: string) => [
    ['UPDATE', `UPDATE ${table} SET ${firstColumn[table]} = ${firstColumn[table]}`],
    ['DELETE', `DELETE FROM ${table}`],
    ['TRUNCATE', `TRUNCATE ${table} CASCADE`],
  ];
  const firstColumn: Record<string, string> = {
    ledger_accounts: 'kind',
    ledger_transactions: 'kind',
    ledger_entries: 'amount',
    ledger_chain: 'hash',
    card_events: 'reason',
    bill_payments: 'amount',
    donations: 'amount',
    audit_events: 'summary',
  };

  beforeAll(async () => {
    await aDayOfBusiness();
    await eventually(unsealed, (n) => n === 0, 400, 25);
  });

  test.each(JOURNAL)('%s', async (table) => {
    // Rows to change, so a trigger would have something to say if it were ever reached.
    expect(Number((await t.knex(table).count<{ n: string }[]>('* as n'))[0].n)).toBeGreaterThan(0);
    for (const [op, sql] of attempts(table)) {
      // The catalog says no...
      const { rows } = await t.knex.raw('SELECT has_table_privilege(?, ?, ?) AS allowed', [SERVICE_ROLE, table, op]);
      expect({ table, op, allowed: rows[0].allowed }).toEqual({ table, op, allowed: false });
      // ...and with the table's triggers switched off (in a transaction that is rolled back),
      // the statement still fails on the grant, before touching a row.
      const refused = await rolledBack(t.knex, async (trx) => {
        await trx.raw(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
        return savepoint(trx, async (sp) => {
          await sp.raw(`SET LOCAL ROLE ${SERVICE_ROLE}`);
          await sp.raw(sql);
        }).then(
          () => undefined,
          (err: { code?: string; message: string }) => ({ code: err.code, message: err.message }),
        );
      });
      expect({ table, op, refused }).toEqual({ table, op, refused: { code: '42501', message: expect.stringContaining(`permission denied for table ${table}`) } });
    }
    // The owner, with the triggers on, is stopped by them instead: two walls, not one.
    await expect(t.knex.raw(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
  });
});

describe('the service under its grants', () => {
  onServer('serves as ccard_app, logged in as a login role with no rights of its own', async () => {
    const { rows } = await t.appKnex.raw('SELECT current_user AS current, session_user AS session');
    expect(rows[0]).toEqual({ current: SERVICE_ROLE, session: TEST_SERVICE_LOGIN });
    const login = await t.knex('pg_roles').where({ rolname: TEST_SERVICE_LOGIN }).first('rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolbypassrls');
    expect(login).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false });
    const own = await t.knex.raw(`SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = ?`, [TEST_SERVICE_LOGIN]);
    expect(own.rows[0].n).toBe(0);
    // The app's own pool: refused on the journal, whatever the statement would touch.
    await expect(t.appKnex.raw('UPDATE ledger_entries SET amount = amount WHERE false')).rejects.toThrow(/permission denied for table ledger_entries/);
    await expect(t.appKnex.raw('TRUNCATE access_events')).rejects.toThrow(/permission denied for table access_events/);
  });

  test('a whole day: cards, top-up, payment, refund, bill, donation, doors, key revocation, ledger verification, access log retention', async () => {
    const day = await aDayOfBusiness();

    // The sealer (the app's own, every 50 ms) chains everything: INSERT ledger_chain, UPDATE ledger_sealer.
    expect(await eventually(unsealed, (n) => n === 0, 400, 25)).toBe(0);
    const auditor = await apiKey(t, 'auditor');
    const verify = await t.http.get('/v1/ledger/verify').set(bearer(auditor.key));
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
    expect(verify.body.transactions).toBeGreaterThanOrEqual(5);

    // Revoking a key: UPDATE api_keys.
    expect((await t.http.delete(`/v1/api-keys/${auditor.id}`).set(admin)).status).toBe(204);
    expect((await t.http.get('/v1/ledger/verify').set(bearer(auditor.key))).status).toBe(401);

    // Access log retention: the app's own job deletes events past ACCESS_LOG_RETENTION_DAYS.
    await t.app.get(AccessLog).flush();
    const keyId = (await t.knex('api_keys').first('id')).id;
    const [{ id: old }] = await t.knex('access_events')
      .insert({ door_id: day.doorId, uid: 'DEADBEEF', decision: 'deny', reason: 'unknown_card', rule: 'unknown_card', api_key_id: keyId, at: new Date(Date.now() - 400 * 86_400_000) })
      .returning('id');
    const recent = Number((await t.knex('access_events').where({ door_id: day.doorId }).whereNot({ id: old }).count<{ n: string }[]>('* as n'))[0].n);
    expect(recent).toBeGreaterThan(0);
    const swept = await t.app.get(AccessRetentionService).sweep();
    expect(swept.events).toBeGreaterThanOrEqual(1);
    expect(await t.knex('access_events').where({ id: old }).first('id')).toBeUndefined();
    expect(Number((await t.knex('access_events').where({ door_id: day.doorId }).count<{ n: string }[]>('* as n'))[0].n)).toBe(recent);

    // And the health check, which lists migrations through knex's tables, says the database is up.
    expect((await t.http.get('/health')).status).toBe(200);
  });

  onServer('with one DATABASE_URL (the owner), the service migrates as the owner and serves as ccard_app by SET ROLE', async () => {
    const one = await startTestApp({ db: t.db, config: { databaseUrl: t.db.databaseUrl, databaseMigrationUrl: undefined } });
    try {
      const { rows } = await one.appKnex.raw('SELECT current_user AS current, session_user AS session');
      expect(rows[0].current).toBe(SERVICE_ROLE);
      expect(rows[0].session).not.toBe(SERVICE_ROLE);
      await expect(one.appKnex.raw('DELETE FROM ledger_transactions WHERE false')).rejects.toThrow(/permission denied for table ledger_transactions/);
      const h = await registerResident(one);
      expect((await issueCard(one, h.id)).status).toBe('active');
    } finally {
      await one.close();
    }
  });

  onServer('whether a login may take the role is tried, not assumed', async () => {
    expect(await mayServeAs(t.db.serviceUrl!, SERVICE_ROLE)).toBe(true);
    expect(await mayServeAs(t.db.serviceUrl!, 'pg_monitor')).toBe(false); // exists, not a member
    expect(await mayServeAs(t.db.databaseUrl!, `ccard_no_such_role_${randomUUID().slice(0, 8)}`)).toBe(false);
  });
});

describe('DATABASE_MIGRATION_URL', () => {
  test('is read with DATABASE_URL, and refused without it or when not a postgres URL', () => {
    const both = loadConfig({ DATABASE_URL: 'postgres://ccard_service@db/card', DATABASE_MIGRATION_URL: 'postgres://card_owner@db/card' });
    expect(both).toMatchObject({ databaseUrl: 'postgres://ccard_service@db/card', databaseMigrationUrl: 'postgres://card_owner@db/card' });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db/card', DATABASE_MIGRATION_URL: '' }).databaseMigrationUrl).toBeUndefined();
    expect(() => loadConfig({ DATABASE_MIGRATION_URL: 'postgres://card_owner@db/card' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_MIGRATION_URL: 'postgres://card_owner@db/card' })).toThrow(/DATABASE_MIGRATION_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@db/card', DATABASE_MIGRATION_URL: 'mysql://x' })).toThrow(/DATABASE_MIGRATION_URL must be a postgres:\/\/ URL/);
  });
});

// --- helpers -----------------------------------------------------------------------

/** Everything the service does on an ordinary day, through the API (so: as its role, on a server). */
async function aDayOfBusiness() {
  const place = `小区-${randomUUID().slice(0, 8)}`;
  const resident = await registerResident(t, { address: { community: place, building: '1号楼' } });
  const card = await issueCard(t, resident.id);
  await lockCard(t, card.id, 'lost');
  await unlockCard(t, card.id);

  const top = await topUp(t.http, { cardId: card.id, amount: '100.00', method: 'cash' });
  expect(top.status).toBe(201);
  const till = await terminal(t);
  const payment = await approvedPayment(t.http, till.key, card.uid, '12.50');
  const back = await refund(t.http, till.key, payment.id, { amount: '2.50' });
  expect(back.status).toBe(201);
  // The same refund again (same Idempotency-Key) is replayed, not repeated: UPDATE idempotency_keys.
  const idem = randomUUID();
  const first = await refund(t.http, till.key, payment.id, { amount: '1.00' }, { idem });
  const again = await refund(t.http, till.key, payment.id, { amount: '1.00' }, { idem });
  expect([first.status, again.status, again.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);

  const bill = await createBill(t, resident.id, { amount: '20.00' });
  expect((await payBill(t.http, bill.id, { cardId: card.id })).status).toBe(201);
  const project = await charityProject(t);
  expect((await donate(t.http, { cardId: card.id, projectId: project.id, amount: '5.00' })).status).toBe(201);

  const gate = await door(t, place);
  const key = await doorKey(t, gate.id);
  expect(await check(t, key, gate.id, card.uid)).toEqual({ decision: 'allow', reason: 'ok', cardId: card.id });
  expect(await check(t, key, gate.id, 'DEADBEEF')).toMatchObject({ decision: 'deny', reason: 'unknown_card' });
  const list = await t.http.get(`/v1/doors/${gate.id}/allowlist`).set(key);
  expect(list.status).toBe(200);
  await t.app.get(AccessLog).flush();
  return { residentId: resident.id, cardId: card.id, doorId: gate.id };
}

/** Ledger transactions not yet in the hash chain (the app's sealer chains them every 50 ms). */
const unsealed = () =>
  t.knex.raw(`SELECT count(*)::int AS n FROM ledger_transactions x WHERE NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.transaction_id = x.id)`).then((r) => r.rows[0].n as number);

/** Runs `work` in a transaction as ccard_app, rolled back. */
function asServiceRole<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return rolledBack(knex, async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${SERVICE_ROLE}`);
    return work(trx);
  });
}

const ROLLBACK = Symbol('rollback');

/** Runs `work` in a transaction that is always rolled back; returns what it returned, or throws what it threw. */
async function rolledBack<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await knex.transaction(async (trx) => {
      result = await work(trx);
      throw ROLLBACK;
    });
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
  return result as T;
}

/** A nested transaction (a savepoint), so a failing statement leaves the outer one usable. */
function savepoint<T>(trx: Knex.Transaction, work: (sp: Knex.Transaction) => Promise<T>): Promise<T> {
  return trx.transaction(work);
}
