import type { Knex } from 'knex';
import * as apiKeys from '../../migrations/20261129000001_api_keys';
import * as ledger from '../../migrations/20261129000002_ledger';
import * as idempotency from '../../migrations/20261129000003_idempotency';
import * as residentsCards from '../../migrations/20261129000004_residents_cards';
import * as money from '../../migrations/20261129000005_money';
import * as subsidies from '../../migrations/20261129000006_subsidies';
import * as billsDonations from '../../migrations/20261129000007_bills_donations';
import * as access from '../../migrations/20261129000008_access';
import * as auditLog from '../../migrations/20261202000001_audit_log';
import * as piiEncryption from '../../migrations/20261202000002_pii_encryption';
import * as dbRoles from '../../migrations/20261202000003_db_roles';
import * as cardsUidIndex from '../../migrations/20261202000004_cards_uid_index';
import * as merchantDayTotals from '../../migrations/20261202000005_merchant_day_totals';
import * as idempotencyFillfactor from '../../migrations/20261202000006_idempotency_fillfactor';

/**
 * The migrations, listed rather than discovered on disk, so the same code runs from
 * TypeScript under jest and from compiled JavaScript in production. A test checks
 * that every file in migrations/ is listed here.
 */
export const MIGRATIONS: Record<string, { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }> = {
  '20261129000001_api_keys': apiKeys,
  '20261129000002_ledger': ledger,
  '20261129000003_idempotency': idempotency,
  '20261129000004_residents_cards': residentsCards,
  '20261129000005_money': money,
  '20261129000006_subsidies': subsidies,
  '20261129000007_bills_donations': billsDonations,
  '20261129000008_access': access,
  '20261202000001_audit_log': auditLog,
  '20261202000002_pii_encryption': piiEncryption,
  '20261202000003_db_roles': dbRoles,
  '20261202000004_cards_uid_index': cardsUidIndex,
  '20261202000005_merchant_day_totals': merchantDayTotals,
  '20261202000006_idempotency_fillfactor': idempotencyFillfactor,
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}

export async function pendingMigrations(knex: Knex): Promise<number> {
  const [, pending] = (await knex.migrate.list({ migrationSource: source })) as [unknown[], unknown[]];
  return pending.length;
}
