import { randomUUID } from 'node:crypto';
import type Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { formatMoney } from '../../ledger/money';
import { CardNotActive, CardNotFound } from '../cards/cards.errors';
import { cashWalletId } from '../ledger/accounts';
import { ledgerFor } from '../ledger/ledger-for';
import { CardOfAnotherResident, InsufficientFunds } from './bills.errors';

/**
 * Paying from the card's cash wallet at the desk, shared by bill payments and
 * donations (both are "from cash only": subsidy money is restricted to merchants).
 */

export interface PayingCard {
  id: string;
  residentId: string;
}

/**
 * The card a desk pays with, which must be active (and the given resident's, when one
 * is given). FOR SHARE: a lock or close of the card waits for this payment, and this
 * payment for them.
 */
export async function activeCard(trx: Knex.Transaction, cardId: string, ownerId?: string): Promise<PayingCard> {
  const card = await trx('cards').where({ id: cardId }).forShare().first<{ resident_id: string; status: string } | undefined>('resident_id', 'status');
  if (!card) throw new CardNotFound();
  if (ownerId !== undefined && card.resident_id !== ownerId) throw new CardOfAnotherResident();
  if (card.status !== 'active') throw new CardNotActive(card.status);
  return { id: cardId, residentId: card.resident_id };
}

export interface CashDebit {
  residentId: string;
  /** The account credited: a payee or a charity project. */
  to: string;
  amount: Decimal;
  kind: string;
  metadata: Record<string, unknown>;
}

/**
 * Moves `amount` from the resident's cash wallet under the wallet's lock, or refuses
 * with insufficient_funds before anything is written. Returns the ledger transaction
 * and the cash left.
 */
export async function debitCash(trx: Knex.Transaction, d: CashDebit): Promise<{ transactionId: string; cashLeft: Decimal }> {
  const ledger = ledgerFor(trx);
  const wallet = cashWalletId(d.residentId);
  const balance = (await ledger.lockBalances([wallet])).get(wallet)!;
  if (balance.lt(d.amount)) throw new InsufficientFunds(formatMoney(balance));
  const transactionId = randomUUID();
  await ledger.postOne({
    id: transactionId,
    kind: d.kind,
    postings: [
      { accountId: wallet, amount: d.amount.negated() },
      { accountId: d.to, amount: d.amount },
    ],
    metadata: d.metadata,
  });
  return { transactionId, cashLeft: balance.minus(d.amount) };
}
