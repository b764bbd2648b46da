import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { Ledger } from '../../ledger/ledger';
import { formatMoney } from '../../ledger/money';
import type { Transfer } from '../../ledger/types';
import type { Principal } from '../auth/principal';
import type { IdempotentRequest } from '../common/idempotency';
import { shanghaiDay } from '../common/shanghai-day';
import { pgArray } from '../db/pg-array';
import { cashWalletId, merchantAccountId } from '../ledger/accounts';
import { type AccountRow, KnexLedgerStore } from '../ledger/knex-ledger.store';
import { fundingView, planFunding, type FundingLine } from './funding';
import { type DiscountProgram, FundingSources, type Lot } from './funding-sources';
import { ADD_TO_TOTALS, INSERT_TOTALS } from './merchant-day-totals';
import { toStoredFunding, type DeclineCode } from './payment.view';

export interface PaymentRequest {
  idempotency: IdempotentRequest;
  by: Principal & { merchantId: string };
  uid: string;
  amount: Decimal;
  description?: string;
}

export interface PaymentOutcome {
  statusCode: number;
  body: unknown;
}

interface CardRef {
  id: string;
  resident_id: string;
  status: string;
}

interface Decision {
  request: PaymentRequest;
  paymentId: string;
  card: CardRef | undefined;
  decline?: DeclineCode;
  lines?: FundingLine[];
  transferId?: string;
  cashAfter?: Decimal;
  subsidyAfter?: Decimal;
}

const DECLINE_MESSAGES: Record<DeclineCode, string> = {
  unknown_card: 'no card with this UID',
  card_not_active: 'the card is not active',
  insufficient_funds: 'the card cannot cover this amount',
};

/**
 * Posts many payments in one database transaction with set-based statements. Each
 * payment keeps its own outcome (a decline is recorded and does not fail the others)
 * and its idempotency claim. Returns one outcome per request, or null for a request
 * whose Idempotency-Key another transaction claimed first (the caller replays that).
 */
export async function postPaymentBatch(trx: Knex.Transaction, requests: PaymentRequest[], shard?: number): Promise<(PaymentOutcome | null)[]> {
  const claimed = await claimKeys(trx, requests);
  const live = requests.filter((_, i) => claimed[i]);
  const now = new Date();
  const store = new KnexLedgerStore(trx, shard);
  const ledger = new Ledger(store);
  const { decisions, today } = await decide(trx, store, ledger, live);
  const transfers = decisions.filter((d) => d.lines).map((d) => paymentTransfer(d));
  const results = await ledger.post(transfers, { newIds: true });
  const failed = results.find((r) => !r.ok);
  if (failed) throw new Error(`ledger refused a payment it was planned for: ${JSON.stringify(failed)}`);
  await recordDiscountUses(trx, decisions, today);
  const outcomes = decisions.map((d) => outcomeOf(d, now));
  await insertPaymentsAndOutcomes(trx, decisions, outcomes, now, store.shard);
  let next = 0;
  return requests.map((_, i) => (claimed[i] ? outcomes[next++] : null));
}

// The batch's statements are named (pg prepared statements): each connection parses and
// plans them once, which was a third of PostgreSQL's time per batch. PGlite ignores the name.

/** Claims every Idempotency-Key at once; a key held by another transaction waits for it, then stays unclaimed here. */
async function claimKeys(trx: Knex.Transaction, requests: PaymentRequest[]): Promise<boolean[]> {
  const { rows } = await trx.raw<{ rows: { api_key_id: string; key: string }[] }>(
    `INSERT INTO idempotency_keys (api_key_id, key, fingerprint, status_code, body)
     SELECT k.api_key_id, k.key, k.fingerprint, 0, '{}' FROM unnest(?::uuid[], ?::text[], ?::text[]) AS k(api_key_id, key, fingerprint)
     ON CONFLICT DO NOTHING RETURNING api_key_id, key`,
    [
      pgArray(requests.map((r) => r.idempotency.apiKeyId)),
      pgArray(requests.map((r) => r.idempotency.key)),
      pgArray(requests.map((r) => r.idempotency.fingerprint)),
    ],
  ).options({ name: 'ccard_pay_claim' });
  const won = new Set(rows.map((r) => `${r.api_key_id}\n${r.key}`));
  return requests.map((r) => won.has(`${r.idempotency.apiKeyId}\n${r.idempotency.key}`));
}

async function decide(trx: Knex.Transaction, store: KnexLedgerStore, ledger: Ledger, requests: PaymentRequest[]): Promise<{ decisions: Decision[]; today: string }> {
  const { cards, categories, wallets, merchantAccounts, ...facts } = await readBatchFacts(trx, requests);
  store.adoptLocked(wallets);
  store.adoptAccounts(merchantAccounts);
  const sources = await FundingSources.load(trx, ledger, facts);
  const decisions = requests.map((request): Decision => {
    const card = cards.get(request.uid);
    const d: Decision = { request, paymentId: randomUUID(), card };
    if (!card) return { ...d, decline: 'unknown_card' };
    if (card.status !== 'active') return { ...d, decline: 'card_not_active' };
    const lines = planFunding(request.amount, sources.sourcesFor(card.resident_id, categories.get(request.by.merchantId)!, request.amount));
    if (!lines) return { ...d, decline: 'insufficient_funds' };
    sources.take(lines, card.resident_id);
    return { ...d, lines, transferId: randomUUID(), cashAfter: sources.cashOf(card.resident_id), subsidyAfter: sources.subsidyOf(card.resident_id) };
  });
  return { decisions, today: sources.today };
}

interface BatchFactsRow {
  cards: (CardRef & { uid: string })[];
  wallets: (AccountRow & { balance: string })[] | null;
  merchant_accounts: AccountRow[] | null;
  merchants: { id: string; category: string }[];
  lots: (Omit<Lot, 'expires_at'> & { expires_at: string })[];
  discounts: DiscountProgram[];
  today: string;
}

/**
 * Everything the batch decides on, in one round trip: the cards that answer to its
 * UIDs, its merchants' categories and ledger accounts, the card holders' cash wallets
 * (locked, as FundingSources would lock them first), their unexpired allowance lots,
 * the discount programs of those categories, and today's date. Every statement is a
 * round trip that every payment waits for.
 *
 * Usable cards are held with KEY SHARE until commit: a lock, replacement or close
 * (FOR UPDATE) waits for batches already deciding on the card, and every batch after
 * it sees the new status, so a lost card stops paying the moment its lock answers.
 */
async function readBatchFacts(trx: Knex.Transaction, requests: PaymentRequest[]) {
  const uids = [...new Set(requests.map((r) => r.uid))];
  const merchantIds = [...new Set(requests.map((r) => r.by.merchantId))];
  const { rows } = await trx.raw<{ rows: BatchFactsRow[] }>(
    `WITH c AS (
       SELECT uid, id, resident_id, status FROM cards WHERE uid = ANY(?::text[]) AND status <> 'closed' ORDER BY id FOR KEY SHARE
     ), m AS (
       SELECT id, category FROM merchants WHERE id = ANY(?::uuid[])
     ), w AS (
       -- In account order, as the ledger locks: no deadlock with any other writer.
       -- = ANY(ARRAY(...)), not IN (SELECT ...): an index look-up per id whatever the planner
       -- believes of the table (with IN, a stale estimate once had it scan every allowance lot
       -- and every program per lot, for each batch).
       SELECT a.id, a.owner_type, a.owner_id, a.kind, a.may_go_negative, b.balance::text AS balance
       FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
       WHERE b.account_id = ANY(ARRAY(SELECT ? || resident_id FROM c WHERE status = 'active')) AND b.shard = 0
       ORDER BY b.account_id FOR UPDATE OF b
     )
     SELECT
       (SELECT coalesce(json_agg(c), '[]') FROM c) AS cards,
       (SELECT json_agg(w) FROM w) AS wallets,
       (SELECT json_agg(a) FROM (SELECT id, owner_type, owner_id, kind, may_go_negative FROM ledger_accounts WHERE id = ANY(?::text[])) a) AS merchant_accounts,
       (SELECT coalesce(json_agg(m), '[]') FROM m) AS merchants,
       (SELECT coalesce(json_agg(json_build_object('account_id', w.account_id, 'resident_id', w.resident_id, 'program_id', w.program_id,
                                                   'expires_at', w.expires_at, 'merchant_categories', p.merchant_categories)), '[]')
          FROM subsidy_wallets w JOIN subsidy_programs p ON p.id = w.program_id
          WHERE w.resident_id = ANY(ARRAY(SELECT resident_id FROM c WHERE status = 'active')) AND w.expires_at > now()) AS lots,
       (SELECT coalesce(json_agg(d ORDER BY d.id), '[]') FROM (
          SELECT id, merchant_categories, min_age, max_age, tags, amount::text AS amount, min_spend::text AS min_spend, daily_limit
          FROM subsidy_programs WHERE kind = 'discount' AND merchant_categories && ARRAY(SELECT category FROM m)) d) AS discounts,
       to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS today`,
    [pgArray(uids), pgArray(merchantIds), cashWalletId(''), pgArray(merchantIds.map(merchantAccountId))],
  ).options({ name: 'ccard_pay_read' });
  const facts = rows[0];
  const cards = new Map(facts.cards.map((c) => [c.uid, c]));
  const missing = uids.filter((u) => !cards.has(u));
  if (missing.length > 0) for (const c of await lastClosedCards(trx, missing)) cards.set(c.uid, c);
  return {
    cards,
    wallets: facts.wallets ?? [],
    merchantAccounts: facts.merchant_accounts ?? [],
    categories: new Map(facts.merchants.map((m) => [m.id, m.category])),
    residentIds: [...new Set(facts.cards.filter((c) => c.status === 'active').map((c) => c.resident_id))],
    lots: facts.lots.map((l): Lot => ({ ...l, expires_at: new Date(l.expires_at) })),
    discounts: facts.discounts,
    today: facts.today,
  };
}

/** For UIDs no usable card answers to: the last card that had it, so the decline can say it is not active. */
async function lastClosedCards(trx: Knex.Transaction, uids: string[]): Promise<(CardRef & { uid: string })[]> {
  const { rows } = await trx.raw<{ rows: (CardRef & { uid: string })[] }>(
    `SELECT DISTINCT ON (uid) uid, id, resident_id, status FROM cards WHERE uid = ANY(?::text[]) ORDER BY uid, issued_at DESC`,
    [pgArray(uids)],
  );
  return rows;
}

/** Counts the discounts given today, for each program's daily limit. */
async function recordDiscountUses(trx: Knex.Transaction, decisions: Decision[], today: string): Promise<void> {
  const uses = decisions.flatMap((d) => (d.lines ?? []).filter((l) => l.wallet === 'discount').map((l) => `${l.programId}\n${d.card!.resident_id}`));
  if (uses.length === 0) return;
  const counts = new Map<string, number>();
  for (const u of uses) counts.set(u, (counts.get(u) ?? 0) + 1);
  const keys = [...counts.keys()].sort();
  await trx.raw(
    `INSERT INTO subsidy_discount_uses AS u (program_id, resident_id, day, uses)
     SELECT p, r, ?::date, n FROM unnest(?::uuid[], ?::uuid[], ?::int[]) AS x(p, r, n)
     ON CONFLICT (program_id, resident_id, day) DO UPDATE SET uses = u.uses + EXCLUDED.uses`,
    [today, pgArray(keys.map((k) => k.split('\n')[0])), pgArray(keys.map((k) => k.split('\n')[1])), pgArray(keys.map((k) => counts.get(k)!))],
  );
}

function paymentTransfer(d: Decision): Transfer {
  const { request: r } = d;
  return {
    id: d.transferId!,
    kind: 'payment',
    postings: [
      ...d.lines!.map((l) => ({ accountId: l.accountId, amount: l.amount.negated() })),
      { accountId: merchantAccountId(r.by.merchantId), amount: r.amount },
    ],
    metadata: { paymentId: d.paymentId, merchantId: r.by.merchantId, cardId: d.card!.id },
  };
}

/** The payments, approved and declined, their merchants' day totals and each request's stored answer: one statement. */
async function insertPaymentsAndOutcomes(trx: Knex.Transaction, decisions: Decision[], outcomes: PaymentOutcome[], now: Date, shard: number): Promise<void> {
  if (decisions.length === 0) return;
  const col = <T extends string | number | null>(f: (d: Decision, i: number) => T) => pgArray(decisions.map(f));
  await trx.raw(
    `WITH p AS (
       INSERT INTO payments (id, merchant_id, api_key_id, uid, card_id, resident_id, amount, status, decline_code, description, funding, transaction_id, created_at)
       SELECT p.*, ?::timestamptz FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::uuid[], ?::uuid[], ?::numeric[], ?::text[], ?::text[], ?::text[], ?::jsonb[], ?::uuid[])
         AS p(id, merchant_id, api_key_id, uid, card_id, resident_id, amount, status, decline_code, description, funding, transaction_id)
       RETURNING merchant_id, status, amount
     ), totals AS (
       ${INSERT_TOTALS}
       SELECT merchant_id, ${shanghaiDay('?::timestamptz')}, ?::smallint,
              count(*) FILTER (WHERE status = 'approved'), coalesce(sum(amount) FILTER (WHERE status = 'approved'), 0),
              count(*) FILTER (WHERE status = 'declined'), 0
       FROM p GROUP BY merchant_id
       ${ADD_TO_TOTALS}
     )
     UPDATE idempotency_keys k SET status_code = o.status_code, body = o.body
     FROM unnest(?::uuid[], ?::text[], ?::smallint[], ?::jsonb[]) AS o(api_key_id, key, status_code, body)
     WHERE k.api_key_id = o.api_key_id AND k.key = o.key`,
    [
      now.toISOString(),
      col((d) => d.paymentId),
      col((d) => d.request.by.merchantId),
      col((d) => d.request.by.keyId),
      col((d) => d.request.uid),
      col((d) => d.card?.id ?? null),
      col((d) => d.card?.resident_id ?? null),
      col((d) => formatMoney(d.request.amount)),
      col((d) => (d.decline ? 'declined' : 'approved')),
      col((d) => d.decline ?? null),
      col((d) => d.request.description ?? null),
      col((d) => JSON.stringify(d.lines ? toStoredFunding(d.lines) : [])),
      col((d) => d.transferId ?? null),
      now.toISOString(),
      shard,
      col((d) => d.request.idempotency.apiKeyId),
      col((d) => d.request.idempotency.key),
      col((_, i) => outcomes[i].statusCode),
      col((_, i) => JSON.stringify(outcomes[i].body)),
    ],
  ).options({ name: 'ccard_pay_write' });
}

function outcomeOf(d: Decision, now: Date): PaymentOutcome {
  if (d.decline) {
    return { statusCode: 402, body: { statusCode: 402, code: d.decline, message: DECLINE_MESSAGES[d.decline], paymentId: d.paymentId } };
  }
  return {
    statusCode: 201,
    body: {
      id: d.paymentId,
      status: 'approved',
      amount: formatMoney(d.request.amount),
      cardId: d.card!.id,
      merchantId: d.request.by.merchantId,
      ...(d.request.description ? { description: d.request.description } : {}),
      funding: fundingView(d.lines!),
      balance: { cash: formatMoney(d.cashAfter!), subsidy: formatMoney(d.subsidyAfter!) },
      createdAt: now.toISOString(),
    },
  };
}
