import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import type { Ledger } from '../../ledger/ledger';
import { cashWalletId, programAccountId } from '../ledger/accounts';
import { ageOn } from '../subsidies/eligibility';
import type { FundingSource } from './funding';

export interface Lot {
  account_id: string;
  resident_id: string;
  program_id: string;
  expires_at: Date;
  merchant_categories: string[];
}

export interface DiscountProgram {
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

/** What a batch reads before it locks anything (payment-batch.ts reads it in one statement). */
export interface BatchFacts {
  /** Residents of the batch's usable cards. */
  residentIds: string[];
  /** Their unexpired allowance lots. */
  lots: Lot[];
  /** Discount programs of the batch's merchants' categories. */
  discounts: DiscountProgram[];
  /** Today in Asia/Shanghai, by the database's clock. */
  today: string;
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

  /** Locks what the batch's residents can draw on: cash first, then lots, then program budgets. */
  static async load(trx: Knex.Transaction, ledger: Ledger, facts: BatchFacts): Promise<FundingSources> {
    const { residentIds, lots, discounts, today } = facts;
    const cash = await ledger.lockBalances(residentIds.map(cashWalletId));
    const lotBalances = lots.length > 0 ? await ledger.lockBalances(lots.map((l) => l.account_id)) : new Map<string, Decimal>();
    const budgets = discounts.length > 0 ? await ledger.lockBalances(discounts.map((p) => programAccountId(p.id))) : new Map<string, Decimal>();
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

async function residentFacts(trx: Knex.Transaction, ids: string[]): Promise<Map<string, ResidentFacts>> {
  const rows = await trx('residents').whereIn('id', ids).select<ResidentFacts[]>('id', 'birth_date', 'tags');
  return new Map(rows.map((r) => [r.id, r]));
}

async function discountUses(trx: Knex.Transaction, residentIds: string[], day: string): Promise<Map<string, number>> {
  const rows = await trx('subsidy_discount_uses').whereIn('resident_id', residentIds).where({ day }).select<{ program_id: string; resident_id: string; uses: number }[]>('program_id', 'resident_id', 'uses');
  return new Map(rows.map((r) => [`${r.program_id}:${r.resident_id}`, r.uses]));
}
