import { Client } from 'pg';
import type { RetryingClient } from './client';
import { cents, COMMUNITY, type Fixture, toCents } from './fixture';
import type { Book, Sent } from './load';
import { TOTALS_DRIFT_SQL } from '../support/merchant-totals';
import type { Random } from './random';
import { sleep, type CrashService } from './service';

export interface CheckContext {
  http: RetryingClient;
  service: CrashService;
  databaseUrl: string;
  fx: Fixture;
  book: Book;
  rnd: Random;
  round: number;
  /** When this round's crash happened: listening sessions from before it belong to the killed service or the crashed server. */
  crashedAt: Date;
  /** How long a recovery (health, listeners, sealing) may take before it counts as not happening. */
  recoveryMs: number;
  anomaly: (message: string) => void;
}

export interface LedgerFigures {
  transactions: number;
  chainLength: number;
}

/** The session names the service's two LISTEN connections carry (src/access/access-feed.ts, src/stations/station-feed.ts). */
const LISTENERS = ['community-card-access-feed', 'community-card-station-feed'];

/**
 * Everything that must hold after a round, once the load has stopped and every client
 * has its answer. Problems are reported through `anomaly`; returns null when the
 * service did not come back at all (the campaign cannot go on).
 */
export async function checkRound(ctx: CheckContext): Promise<LedgerFigures | null> {
  try {
    await ctx.service.waitHealthy(ctx.recoveryMs);
  } catch (err) {
    ctx.anomaly(`the service did not recover: ${(err as Error).message}`);
    return null;
  }
  await checkListeners(ctx);
  await checkReplays(ctx);
  await checkDoorLock(ctx);
  const figures = await checkVerify(ctx);
  await checkDatabase(ctx);
  return figures;
}

/** After a crash of either kind the service must be listening again: its access index and station feed depend on it. */
async function checkListeners(ctx: CheckContext): Promise<void> {
  const deadline = Date.now() + ctx.recoveryMs;
  let missing: string[] = LISTENERS;
  while (Date.now() < deadline) {
    const rows = await query<{ application_name: string }>(
      ctx,
      `SELECT DISTINCT application_name FROM pg_stat_activity
       WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND application_name = ANY($1) AND backend_start > $2`,
      [LISTENERS, ctx.crashedAt.toISOString()],
    );
    missing = LISTENERS.filter((name) => !rows.some((r) => r.application_name === name));
    if (missing.length === 0) return;
    await sleep(200);
  }
  ctx.anomaly(`no LISTEN session of ${missing.join(', ')} within ${ctx.recoveryMs / 1000} s of the round's end: the service did not re-establish its listener`);
}

/**
 * A terminal may send a request again long after it had its answer (a duplicate on
 * the network, a terminal that rebooted before it stored the answer). Some of this
 * round's answered requests go again, now after the crash: each must be replayed,
 * unchanged, and move nothing (the database checks count that).
 */
async function checkReplays(ctx: CheckContext): Promise<void> {
  const byKind = new Map<string, Sent[]>();
  for (const s of ctx.book.sent) if (s.round === ctx.round) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s]);
  for (const list of byKind.values()) {
    for (let n = 0; n < Math.min(8, list.length); n++) {
      const s = list[ctx.rnd.int(0, list.length - 1)];
      const a = await ctx.http.send('POST', s.path, s.apiKey, s.body, s.idempotencyKey);
      const id = answerIdOf(a.body);
      if (a.status !== s.status || id !== s.answerId || !a.replayed) {
        ctx.anomaly(`replay of ${s.kind} ${s.idempotencyKey}: first answered ${s.status} (${s.answerId}), now ${a.status} (${id}) replayed=${a.replayed}`);
      }
    }
  }
}

/** A lock answers only once every door decides on it: after the crash too, the index (or its database fallback) must see it at once. */
async function checkDoorLock(ctx: CheckContext): Promise<void> {
  const { fx } = ctx;
  const r = fx.doorOnly[ctx.round % fx.doorOnly.length];
  const k = fx.doorKeys[0];
  const gate = k.doors.find((d) => d.community === COMMUNITY && d.building === null)!;
  const check = async (want: string, reason: string, when: string) => {
    const a = await ctx.http.send('POST', '/v1/access/check', k.key, { doorId: gate.id, uid: r.uid });
    if (a.status !== 200 || a.body?.decision !== want || a.body?.reason !== reason) {
      ctx.anomaly(`door check ${when}: wanted ${want}/${reason} for card ${r.uid}, answered ${a.status} ${JSON.stringify(a.body)}`);
    }
  };
  const locked = await ctx.http.send('POST', `/v1/cards/${r.cardId}/lock`, fx.desk.key, { reason: 'suspended' });
  if (locked.status !== 200 || locked.body?.status !== 'locked') ctx.anomaly(`locking card ${r.cardId}: answered ${locked.status} ${JSON.stringify(locked.body)}`);
  await check('deny', 'card_not_active', 'right after the lock');
  const unlocked = await ctx.http.send('POST', `/v1/cards/${r.cardId}/unlock`, fx.desk.key);
  if (unlocked.status !== 200 || unlocked.body?.status !== 'active') ctx.anomaly(`unlocking card ${r.cardId}: answered ${unlocked.status} ${JSON.stringify(unlocked.body)}`);
  await check('allow', 'ok', 'right after the unlock');
}

/**
 * GET /v1/ledger/verify, once the sealer has caught up: every transaction committed
 * so far is in the chain (pendingSeal 0, chain as long as the ledger), and the
 * auditor's report is clean.
 */
async function checkVerify(ctx: CheckContext): Promise<LedgerFigures> {
  const deadline = Date.now() + ctx.recoveryMs;
  let report: any;
  for (;;) {
    const a = await ctx.http.send('GET', '/v1/ledger/verify', ctx.fx.auditor);
    report = a.body;
    if (a.status !== 200) {
      ctx.anomaly(`GET /v1/ledger/verify answered ${a.status} ${JSON.stringify(a.body)}`);
      return { transactions: -1, chainLength: -1 };
    }
    if (report.pendingSeal === 0 && report.chainLength === report.transactions) break;
    if (Date.now() > deadline) {
      ctx.anomaly(`the chain was not sealed to the end within ${ctx.recoveryMs / 1000} s: ${report.transactions} transactions, chain ${report.chainLength}, pendingSeal ${report.pendingSeal}`);
      break;
    }
    await sleep(200);
  }
  if (!report.ok || report.problems.length > 0 || report.trialBalance !== '0.00') {
    ctx.anomaly(`GET /v1/ledger/verify is not ok: trialBalance ${report.trialBalance}, ${report.problems.length} problems, first: ${JSON.stringify(report.problems.slice(0, 5))}`);
  }
  return { transactions: report.transactions, chainLength: report.chainLength };
}

/** The database held to the books: every acknowledged request exactly once, nothing else, every balance its entries. */
async function checkDatabase(ctx: CheckContext): Promise<void> {
  const { book, fx } = ctx;
  const bad = (message: string) => ctx.anomaly(message);

  // Payments: exactly the acknowledged ones and the recorded declines, each with its own ledger transaction.
  const payments = await query<{ id: string; api_key_id: string; card_id: string | null; amount: string; status: string; transaction_id: string | null }>(
    ctx,
    'SELECT id, api_key_id, card_id, amount::text, status, transaction_id FROM payments',
  );
  const paymentRows = new Map(payments.map((p) => [p.id, p]));
  for (const p of book.payments.values()) {
    const row = paymentRows.get(p.id);
    if (!row) bad(`acknowledged payment ${p.id} (${p.key}, ${cents(p.cents)}) is not in the payments table`);
    else if (row.status !== 'approved' || toCents(row.amount) !== p.cents || row.card_id !== p.cardId || row.api_key_id !== p.merchant.keyId || !row.transaction_id) {
      bad(`acknowledged payment ${p.id} (${p.key}) differs in the database: ${JSON.stringify(row)}`);
    }
  }
  for (const [id, d] of book.declines) {
    const row = paymentRows.get(id);
    if (!row || row.status !== 'declined') bad(`declined payment ${id} (${d.key}) is not recorded as declined: ${JSON.stringify(row ?? null)}`);
  }
  for (const row of payments) {
    if (!book.payments.has(row.id) && !book.declines.has(row.id)) bad(`payment ${row.id} (${row.status}, ${row.amount}) is in the database but no terminal was told about it: applied twice, or half-applied`);
  }

  const txs = await query<{ id: string; kind: string; metadata: Record<string, string> }>(ctx, 'SELECT id, kind, metadata FROM ledger_transactions');
  const txById = new Map(txs.map((t) => [t.id, t]));
  const byKind = new Map<string, typeof txs>();
  for (const t of txs) byKind.set(t.kind, [...(byKind.get(t.kind) ?? []), t]);
  const known = new Set(['payment', 'top_up', 'refund', 'disbursement', 'program_funding']);
  for (const [kind, list] of byKind) if (!known.has(kind)) bad(`${list.length} ledger transactions of kind ${kind}, which no client asked for`);

  // Every approved payment row has its ledger transaction, and every payment transaction its row, one to one.
  const paymentTxs = byKind.get('payment') ?? [];
  const txOfPayment = countBy(paymentTxs, (t) => t.metadata.paymentId);
  for (const row of payments.filter((p) => p.status === 'approved')) {
    const t = row.transaction_id ? txById.get(row.transaction_id) : undefined;
    if (!t || t.kind !== 'payment' || t.metadata.paymentId !== row.id) bad(`payment ${row.id} has no ledger transaction of its own (transaction_id ${row.transaction_id})`);
    if ((txOfPayment.get(row.id) ?? 0) !== 1) bad(`payment ${row.id} has ${txOfPayment.get(row.id) ?? 0} ledger transactions`);
  }
  for (const t of paymentTxs) {
    const row = paymentRows.get(t.metadata.paymentId);
    if (!row || row.transaction_id !== t.id) bad(`ledger transaction ${t.id} moves money for payment ${t.metadata.paymentId}, which has no payments row pointing at it`);
  }

  // Top-ups, refunds, disbursements: the same, row to transaction to acknowledgement.
  const topUps = await query<{ id: string; amount: string; transaction_id: string; resident_id: string }>(ctx, 'SELECT id, amount::text, transaction_id, resident_id FROM top_ups');
  oneToOne(ctx, 'top-up', topUps, byKind.get('top_up') ?? [], (t) => t.metadata.topUpId, new Map([...book.topUps.values(), ...fixtureTopUps(fx)].map((t) => [t.id, t])), (row, ack) =>
    toCents(row.amount) === ack.cents && row.resident_id === ack.residentId,
  );
  const refunds = await query<{ id: string; amount: string; transaction_id: string; payment_id: string }>(ctx, 'SELECT id, amount::text, transaction_id, payment_id FROM refunds');
  oneToOne(ctx, 'refund', refunds, byKind.get('refund') ?? [], (t) => t.metadata.refundId, book.refunds, (row, ack) => toCents(row.amount) === ack.cents && row.payment_id === ack.payment.id);
  const disbursements = await query<{ id: string; total: string; transaction_id: string; period: string; recipients: number; wallets: string }>(
    ctx,
    `SELECT d.id, d.total::text, d.transaction_id, d.period, d.recipients, (SELECT count(*) FROM subsidy_wallets w WHERE w.disbursement_id = d.id)::text AS wallets FROM subsidy_disbursements d`,
  );
  const disbTxs = byKind.get('disbursement') ?? [];
  oneToOne(ctx, 'disbursement', disbursements, disbTxs, (t) => disbursements.find((d) => d.transaction_id === t.id)?.id ?? `(none for ${t.id})`, new Map(book.disbursements.map((d) => [d.id, d])), (row, ack) =>
    toCents(row.total) === ack.cents && row.period === ack.period && row.recipients === ack.recipients && Number(row.wallets) === ack.recipients,
  );
  const fundings = byKind.get('program_funding') ?? [];
  if (fundings.length !== 1 || fundings[0].id !== fx.funding.id) bad(`program funding: wanted the one acknowledged transaction ${fx.funding.id}, found ${JSON.stringify(fundings.map((t) => t.id))}`);

  // Every acknowledged top-up (a staff action) is in the audit trail: its answer is held until the row is written, and
  // when a crash falls between the top-up's commit and that row, the retry's replay is what is recorded.
  const audited = new Set(
    (await query<{ id: string }>(ctx, `SELECT DISTINCT unnest(resource_ids) AS id FROM audit_events WHERE method = 'POST' AND route = '/v1/top-ups' AND status_code = 201`)).map((r) => r.id),
  );
  for (const t of book.topUps.values()) if (!audited.has(t.id)) bad(`acknowledged top-up ${t.id} (${t.key}) has no audit event`);

  // Each merchant's kept day totals equal its payments and refunds: no batch added its sums without its rows, or twice.
  for (const d of await query<{ merchant_id: string; day: string; kept: string | null; recomputed: string | null }>(ctx, TOTALS_DRIFT_SQL)) {
    bad(`merchant ${d.merchant_id} day ${d.day}: kept totals ${d.kept} differ from its records ${d.recomputed}`);
  }

  // Idempotency records: none unfinished, one per answered request, each holding the answer the client got.
  const keys = await query<{ api_key_id: string; key: string; status_code: number; body: any }>(ctx, 'SELECT api_key_id, key, status_code, body FROM idempotency_keys');
  const sentByKey = new Map(book.sent.map((s) => [`${s.apiKeyId}\n${s.idempotencyKey}`, s]));
  for (const k of keys) {
    const s = sentByKey.get(`${k.api_key_id}\n${k.key}`);
    if (k.status_code === 0) bad(`idempotency key ${k.key} is stuck unfinished (status 0): a retry would be refused`);
    else if (!s) bad(`idempotency key ${k.key} is recorded (status ${k.status_code}) but no client was answered for it`);
    else if (k.status_code !== s.status || answerIdOf(k.body) !== s.answerId) bad(`idempotency key ${k.key} holds ${k.status_code} (${answerIdOf(k.body)}), but its client was told ${s.status} (${s.answerId})`);
  }
  const recorded = new Set(keys.map((k) => `${k.api_key_id}\n${k.key}`));
  for (const [id, s] of sentByKey) if (!recorded.has(id)) bad(`${s.kind} ${s.idempotencyKey} was answered ${s.status} but has no idempotency record: a retry would run it again`);

  // Balances: every account's recorded balance is the sum of its entries, and the money is where the clients were told it went.
  const mismatched = await query<{ account_id: string; recorded: string; entries: string }>(
    ctx,
    `WITH e AS (SELECT account_id, sum(amount) AS s FROM ledger_entries GROUP BY account_id),
          b AS (SELECT account_id, sum(balance) AS s FROM ledger_balances GROUP BY account_id)
     SELECT coalesce(e.account_id, b.account_id) AS account_id, coalesce(b.s, 0)::text AS recorded, coalesce(e.s, 0)::text AS entries
     FROM e FULL JOIN b ON b.account_id = e.account_id WHERE coalesce(b.s, 0) <> coalesce(e.s, 0)`,
  );
  for (const m of mismatched.slice(0, 20)) bad(`account ${m.account_id}: recorded balance ${m.recorded}, its entries sum to ${m.entries}`);
  const [trial] = await query<{ s: string }>(ctx, 'SELECT coalesce(sum(amount), 0)::text AS s FROM ledger_entries');
  if (toCents(trial.s) !== 0) bad(`all entries sum to ${trial.s}, not 0.00`);

  const expected = expectedBalances(fx, book);
  const actual = await query<{ owner: string; entries: string; recorded: string }>(
    ctx,
    `WITH e AS (SELECT account_id, sum(amount) AS s FROM ledger_entries GROUP BY account_id),
          b AS (SELECT account_id, sum(balance) AS s FROM ledger_balances GROUP BY account_id)
     SELECT CASE WHEN a.owner_type = 'resident' THEN 'resident:' || a.owner_id ELSE a.id END AS owner,
            coalesce(sum(e.s), 0)::text AS entries, coalesce(sum(b.s), 0)::text AS recorded
     FROM ledger_accounts a LEFT JOIN e ON e.account_id = a.id LEFT JOIN b ON b.account_id = a.id
     GROUP BY 1`,
  );
  const actualBy = new Map(actual.map((r) => [r.owner, r]));
  for (const [owner, want] of expected) {
    const got = actualBy.get(owner);
    const entries = got ? toCents(got.entries) : 0;
    const recorded = got ? toCents(got.recorded) : 0;
    if (entries !== want || recorded !== want) bad(`${owner}: the clients' answers add up to ${cents2(want)}, the ledger has entries ${cents2(entries)} and balance ${cents2(recorded)}`);
  }
  for (const r of actual) if (!expected.has(r.owner) && (toCents(r.entries) !== 0 || toCents(r.recorded) !== 0)) bad(`${r.owner} holds ${r.entries} that no answer accounts for`);

  // The chain: sealed to the end, every transaction once, its head the last transaction in sealing order.
  const [chain] = await query<{ txs: string; links: string; distinct_links: string; max_position: string | null; unsealed: string; last_tx: string | null; head_tx: string | null; sealer_last: string }>(
    ctx,
    `SELECT (SELECT count(*) FROM ledger_transactions)::text AS txs,
            (SELECT count(*) FROM ledger_chain)::text AS links,
            (SELECT count(DISTINCT transaction_id) FROM ledger_chain)::text AS distinct_links,
            (SELECT max(position) FROM ledger_chain)::text AS max_position,
            (SELECT count(*) FROM ledger_transactions t WHERE NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.transaction_id = t.id))::text AS unsealed,
            (SELECT t.id FROM ledger_transactions t ORDER BY t.xid DESC, t.id DESC LIMIT 1)::text AS last_tx,
            (SELECT c.transaction_id FROM ledger_chain c ORDER BY c.position DESC LIMIT 1)::text AS head_tx,
            (SELECT last_id::text FROM ledger_sealer WHERE id = 1) AS sealer_last`,
  );
  if (chain.txs !== chain.links || chain.links !== chain.distinct_links || (chain.max_position ?? '0') !== chain.links || chain.unsealed !== '0') {
    bad(`chain not sealed to the end: ${chain.txs} transactions, ${chain.links} links (${chain.distinct_links} distinct, last position ${chain.max_position}), ${chain.unsealed} unsealed`);
  }
  if (chain.last_tx !== chain.head_tx || chain.sealer_last !== chain.last_tx) {
    bad(`chain head ${chain.head_tx} and sealer position ${chain.sealer_last} are not the last transaction ${chain.last_tx}`);
  }
}

/** Expected money per owner, in cents, from the answers alone: residents (all their wallets), merchants, the desk, the program, the treasury. */
function expectedBalances(fx: Fixture, book: Book): Map<string, number> {
  const m = new Map<string, number>();
  const add = (owner: string, n: number) => m.set(owner, (m.get(owner) ?? 0) + n);
  for (const r of fx.residents) add(`resident:${r.id}`, 0);
  for (const t of [...fixtureTopUps(fx), ...book.topUps.values()]) {
    add(`resident:${t.residentId}`, t.cents);
    add('system:cash_desk', -t.cents);
  }
  for (const p of book.payments.values()) {
    add(`resident:${p.residentId}`, -p.cents);
    add(`merchant:${p.merchant.id}`, p.cents);
  }
  for (const r of book.refunds.values()) {
    add(`resident:${r.payment.residentId}`, r.cents);
    add(`merchant:${r.payment.merchant.id}`, -r.cents);
  }
  add('system:treasury', -fx.funding.cents);
  add(`program:${fx.programId}`, fx.funding.cents);
  for (const d of book.disbursements) {
    add(`program:${fx.programId}`, -d.cents);
    for (const r of fx.residents) add(`resident:${r.id}`, fx.allowanceCents);
  }
  return m;
}

function fixtureTopUps(fx: Fixture) {
  return fx.topUps.map((t) => ({ ...t, round: 0 }));
}

function oneToOne<R extends { id: string; transaction_id: string }, A>(
  ctx: CheckContext,
  what: string,
  rows: R[],
  txs: { id: string; metadata: Record<string, string> }[],
  recordIdOf: (t: { id: string; metadata: Record<string, string> }) => string,
  acks: Map<string, A>,
  matches: (row: R, ack: A) => boolean,
): void {
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const txCount = countBy(txs, recordIdOf);
  for (const [id, ack] of acks) {
    const row = rowById.get(id);
    if (!row) ctx.anomaly(`acknowledged ${what} ${id} is not in the database`);
    else if (!matches(row, ack)) ctx.anomaly(`acknowledged ${what} ${id} differs in the database: ${JSON.stringify(row)}`);
  }
  for (const row of rows) {
    if (!acks.has(row.id)) ctx.anomaly(`${what} ${row.id} is in the database but no client was told about it: applied twice, or half-applied`);
    if (!txs.some((t) => t.id === row.transaction_id)) ctx.anomaly(`${what} ${row.id} points at ledger transaction ${row.transaction_id}, which is not a ${what} transaction`);
    if ((txCount.get(row.id) ?? 0) !== 1) ctx.anomaly(`${what} ${row.id} has ${txCount.get(row.id) ?? 0} ledger transactions`);
  }
  for (const t of txs) if (!rowById.has(recordIdOf(t))) ctx.anomaly(`ledger transaction ${t.id} (${what}) names ${recordIdOf(t)}, which has no ${what} row`);
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

function answerIdOf(body: any): string | null {
  return typeof body?.id === 'string' ? body.id : typeof body?.paymentId === 'string' ? body.paymentId : null;
}

function cents2(n: number): string {
  return n < 0 ? `-${cents(-n)}` : cents(n);
}

/** One query on a fresh connection: the cluster may have restarted since the last one. */
async function query<T>(ctx: CheckContext, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
