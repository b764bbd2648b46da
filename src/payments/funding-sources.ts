import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import type { Ledger } from '../../ledger/ledger';
import { pgArray } from '../db/pg-array';
import { cashWalletId, programAccountId } from '../ledger/accounts';
import { ageOn } from '../subsidies/eligibility';
import type { FundingSource } from './funding';

interface Lot {
  account_id: string;
  resident_id: string;
  program_id: string;
  expires_at: Date;
  merchant_categories: string[];
}

interface DiscountProgram {
  id: string;
  merchant_categories: string[];
  min_age: number | null;
  max_age: number | null;
  tags: string[];
  amount: string;
  min_spend: string;
  daily_limit: number;
}

interface ResidentFacts {
  id: string;
  birth_date: string;
  tags: string[];
}

/**
 * Everything a batch of payments can draw on, locked: the residents' cash wallets,
 * their unexpired allowance lots, and the budgets of discount programs. Locks are
 * taken in one order everywhere (cash, then lots, then program budgets), and a lot
 * is only ever locked by someone already holding its resident's cash wallet, so
 * batches, refunds, closes and sweeps cannot deadlock on them.
 */
export class FundingSources {
  private constructor(
    private readonly balances: Map<string, Decimal>,
    private readonly lots: Map<string, Lot[]>,
    private readonly discounts: DiscountProgram[],
    private readonly residents: Map<string, ResidentFacts>,
    private readonly usesToday: Map<string, number>,
    readonly today: string,
  ) {}

  static async load(trx: Knex.Transaction, ledger: Ledger, residentIds: string[], categories: string[]): Promise<FundingSources> {
    const cash = await ledger.lockBalances(residentIds.map(cashWalletId));
    const lots = await unexpiredLots(trx, residentIds);
    const lotBalances = await ledger.lockBalances(lots.map((l) => l.account_id));
    const { discounts, today } = await discountProgramsToday(trx, categories);
    const budgets = await ledger.lockBalances(discounts.map((p) => programAccountId(p.id)));
    const residents = discounts.length > 0 ? await residentFacts(trx, residentIds) : new Map<string, ResidentFacts>();
    const uses = discounts.length > 0 ? await discountUses(trx, residentIds, today) : new Map<string, number>();
    const byResident = new Map<string, Lot[]>();
    for (const l of lots) byResident.set(l.resident_id, [...(byResident.get(l.resident_id) ?? []), l]);
    return new FundingSources(new Map([...cash, ...lotBalances, ...budgets]), byResident, discounts, residents, uses, today);
  }

  /**
   * The contract's funding order for one payment: discounts the merchant qualifies
   * for, then allowance lots of its category by earliest expiry, then cash.
   */
  sourcesFor(residentId: string, category: string, amount: Decimal): FundingSource[] {
    const discounts = this.discounts
      .filter((p) => this.discountApplies(p, residentId, category, amount))
      .map((p): FundingSource => ({ wallet: 'discount', accountId: programAccountId(p.id), programId: p.id, available: new Decimal(p.amount) }));
    const lots = (this.lots.get(residentId) ?? [])
      .filter((l) => l.merchant_categories.includes(category))
      .sort((a, b) => a.expires_at.getTime() - b.expires_at.getTime() || (a.account_id < b.account_id ? -1 : 1))
      .map((l): FundingSource => ({ wallet: 'subsidy', accountId: l.account_id, programId: l.program_id, available: this.balance(l.account_id) }));
    const cash: FundingSource = { wallet: 'cash', accountId: cashWalletId(residentId), available: this.balance(cashWalletId(residentId)) };
    return [...discounts, ...lots, cash];
  }

  /** Takes what a payment drew, so the next payment in the batch sees what is left. */
  take(lines: { wallet: string; accountId: string; programId?: string; amount: Decimal }[], residentId: string): void {
    for (const l of lines) {
      this.balances.set(l.accountId, this.balance(l.accountId).minus(l.amount));
      if (l.wallet === 'discount') this.usesToday.set(`${l.programId}:${residentId}`, this.uses(l.programId!, residentId) + 1);
    }
  }

  cashOf(residentId: string): Decimal {
    return this.balance(cashWalletId(residentId));
  }

  subsidyOf(residentId: string): Decimal {
    return (this.lots.get(residentId) ?? []).reduce((sum, l) => sum.plus(this.balance(l.account_id)), new Decimal(0));
  }

  private discountApplies(p: DiscountProgram, residentId: string, category: string, amount: Decimal): boolean {
    const r = this.residents.get(residentId);
    if (!r || !p.merchant_categories.includes(category) || amount.lt(p.min_spend)) return false;
    const age = ageOn(r.birth_date, this.today);
    if ((p.min_age !== null && age < p.min_age) || (p.max_age !== null && age > p.max_age)) return false;
    if (!p.tags.every((t) => r.tags.includes(t))) return false;
    // A budget that cannot cover the whole discount gives none; a discount above the price would pay the resident.
    const off = new Decimal(p.amount);
    return this.uses(p.id, residentId) < p.daily_limit && off.lte(amount) && this.balance(programAccountId(p.id)).gte(off);
  }

  private uses(programId: string, residentId: string): number {
    return this.usesToday.get(`${programId}:${residentId}`) ?? 0;
  }

  private balance(accountId: string): Decimal {
    return this.balances.get(accountId) ?? new Decimal(0);
  }
}

async function unexpiredLots(trx: Knex.Transaction, residentIds: string[]): Promise<Lot[]> {
  if (residentIds.length === 0) return [];
  const { rows } = await trx.raw<{ rows: Lot[] }>(
    `SELECT w.account_id, w.resident_id, w.program_id, w.expires_at, p.merchant_categories
     FROM subsidy_wallets w JOIN subsidy_programs p ON p.id = w.program_id
     WHERE w.resident_id = ANY(?::uuid[]) AND w.expires_at > now()`,
    [pgArray(residentIds)],
  );
  return rows;
}

/** The discount programs of these categories, and today's date in Shanghai by the database's clock, in one round trip. */
async function discountProgramsToday(trx: Knex.Transaction, categories: string[]): Promise<{ discounts: DiscountProgram[]; today: string }> {
  const { rows } = await trx.raw<{ rows: { today: string; discounts: DiscountProgram[] }[] }>(
    `SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS today,
       coalesce((SELECT json_agg(p ORDER BY p.id) FROM (
         SELECT id, merchant_categories, min_age, max_age, tags, amount::text AS amount, min_spend::text AS min_spend, daily_limit
         FROM subsidy_programs WHERE kind = 'discount' AND merchant_categories && ?::text[]) p), '[]') AS discounts`,
    [pgArray(categories)],
  );
  return rows[0];
}

async function residentFacts(trx: Knex.Transaction, ids: string[]): Promise<Map<string, ResidentFacts>> {
  const rows = await trx('residents').whereIn('id', ids).select<ResidentFacts[]>('id', 'birth_date', 'tags');
  return new Map(rows.map((r) => [r.id, r]));
}

async function discountUses(trx: Knex.Transaction, residentIds: string[], day: string): Promise<Map<string, number>> {
  const rows = await trx('subsidy_discount_uses').whereIn('resident_id', residentIds).where({ day }).select<{ program_id: string; resident_id: string; uses: number }[]>('program_id', 'resident_id', 'uses');
  return new Map(rows.map((r) => [`${r.program_id}:${r.resident_id}`, r.uses]));
}
