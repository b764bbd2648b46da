import { randomInt, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { inTransaction } from '../../src/db/transaction';
import { ledgerFor } from '../../src/ledger/ledger-for';
import type { Account, Transfer } from '../../ledger/types';

export const WALLETS = 10_000;
export const MERCHANTS = 50;
export const OPENING_BALANCE = '1000.00';
/** Accounts and funding transfers per setup transaction: large enough that setup takes seconds, not minutes. */
const SETUP_BATCH = 1_000;

export interface Fixture {
  wallets: string[];
  merchants: string[];
  /** The one merchant every payment goes to in the hot scenarios. */
  hotMerchant: string;
}

/** Opens and funds the accounts the scenarios move money between. */
export async function buildFixture(knex: Knex): Promise<Fixture> {
  const funding = account('funding', 'bench_funding', true);
  const wallets = Array.from({ length: WALLETS }, (_, i) => account('wallet', `bench_wallet_${i}`, false));
  const merchants = Array.from({ length: MERCHANTS }, (_, i) => account('merchant', `bench_merchant_${i}`, true));

  const all = [funding, ...wallets, ...merchants];
  for (let i = 0; i < all.length; i += SETUP_BATCH) {
    const batch = all.slice(i, i + SETUP_BATCH);
    await inTransaction(knex, (trx) => ledgerFor(trx).openAccounts(batch));
  }
  for (let i = 0; i < wallets.length; i += SETUP_BATCH) {
    const batch = wallets.slice(i, i + SETUP_BATCH).map((w) => transfer(funding.id, w.id, OPENING_BALANCE, 'bench_funding'));
    const results = await inTransaction(knex, (trx) => ledgerFor(trx).post(batch));
    const refused = results.find((r) => !r.ok);
    if (refused) throw new Error(`funding a wallet was refused: ${JSON.stringify(refused)}`);
  }
  return { wallets: wallets.map((w) => w.id), merchants: merchants.map((m) => m.id), hotMerchant: merchants[0].id };
}

function account(kind: string, id: string, mayGoNegative: boolean): Account {
  return { id, ownerType: 'bench', ownerId: id, kind, currency: 'CNY', mayGoNegative };
}

export function transfer(from: string, to: string, amount: string, kind = 'bench_payment'): Transfer {
  const value = new Decimal(amount);
  return {
    id: randomUUID(),
    kind,
    postings: [
      { accountId: from, amount: value.negated() },
      { accountId: to, amount: value },
    ],
  };
}

export function pick<T>(items: readonly T[]): T {
  return items[randomInt(items.length)];
}

/** A random element other than `not`. */
export function pickOther<T>(items: readonly T[], not: T): T {
  for (;;) {
    const item = pick(items);
    if (item !== not) return item;
  }
}
