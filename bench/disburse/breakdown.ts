import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Decimal from 'decimal.js';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { transferFingerprint } from '../../ledger/ledger';
import { Idempotency } from '../../src/common/idempotency';
import { pgArray } from '../../src/db/pg-array';
import { sealPending } from '../../src/ledger/sealer';
import { programAccountId, subsidyWallet } from '../../src/ledger/accounts';
import { DisburseCommand } from '../../src/subsidies/commands/disburse.command';
import { DisburseHandler } from '../../src/subsidies/commands/disburse.handler';
import { SubsidiesRepository } from '../../src/subsidies/subsidies.repository';

/** One statement as the pg driver ran it: from handing it to pg to the parsed result. */
export interface TimedStatement {
  n: number;
  label: string;
  /** Node-side time since the previous statement answered (building arrays, hashing, …). */
  jsBeforeMs: number;
  /** Round trip of the statement: sending its parameters, the server's work, parsing the answer. */
  ms: number;
  rows: number | null;
  /** Total characters of the statement's parameters (the array literals are most of it). */
  paramChars: number;
}

export interface ExplainedStatement {
  n: number;
  label: string;
  planningMs: number;
  executionMs: number;
  /** Trigger time inside the execution (foreign-key checks, the balance check), per trigger. */
  triggers: { name: string; relation: string; ms: number; calls: number }[];
}

export interface Breakdown {
  period: string;
  recipients: number;
  /** From calling the handler to its answer, in this process, on an otherwise idle service. */
  wallMs: number;
  statements: TimedStatement[];
  /** Sum of jsBeforeMs (the JavaScript between statements) and of ms (the database round trips). */
  jsMs: number;
  dbMs: number;
  /** The same statements with the same parameters, EXPLAIN ANALYZEd in a transaction that is rolled back. */
  explained: ExplainedStatement[];
  /** The JavaScript of one fan-out, timed piece by piece on the same residents. */
  jsPieces: { piece: string; ms: number }[];
  /** The service's sealer run once in this process over the new disbursement: what it costs to chain it. */
  sealing: { sealed: number; wallMs: number; dbMs: number; jsMs: number };
}

interface Captured {
  sql: string;
  bindings: unknown[];
  start: number;
  end: number;
  rows: number | null;
}

/**
 * Runs the service's own DisburseHandler in this process, for a further period, with
 * every statement timed at the pg driver. Then replays the same statements (ids and
 * period swapped, so nothing collides) under EXPLAIN (ANALYZE, BUFFERS) and rolls them
 * back, which splits each statement's server time into the insert itself and its
 * triggers (foreign keys, the balance check).
 */
export async function breakdown(knex: Knex, databaseUrl: string, programId: string, period: string): Promise<Breakdown> {
  const { rows: admin } = await knex.raw<{ rows: { id: string }[] }>(`SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1`);
  const handler = new DisburseHandler(new Idempotency(knex), new SubsidiesRepository());
  const key = `bench-breakdown-${randomUUID()}`;
  const idempotency = { apiKeyId: admin[0].id, key, fingerprint: createHash('sha256').update(key).digest('hex') };

  const captured: Captured[] = [];
  const t0 = performance.now();
  const outcome = await capturing(knex, captured, () => handler.execute(new DisburseCommand(programId, period, idempotency)));
  const wallMs = performance.now() - t0;
  if (outcome.statusCode !== 201) throw new Error(`the in-process disbursement answered ${outcome.statusCode}: ${JSON.stringify(outcome.body)}`);
  const disbursed = outcome.body;

  const statements: TimedStatement[] = [];
  let previous = t0;
  captured.forEach((c, i) => {
    statements.push({
      n: i + 1,
      label: label(c.sql),
      jsBeforeMs: round(c.start - previous),
      ms: round(c.end - c.start),
      rows: c.rows,
      paramChars: c.bindings.reduce<number>((s, b) => s + (typeof b === 'string' ? b.length : 0), 0),
    });
    previous = c.end;
  });
  const jsMs = round(statements.reduce((s, x) => s + x.jsBeforeMs, 0) + (t0 + wallMs - previous));

  // The replay: same statements, same parameters, but another disbursement id, transaction id, key and period.
  const { rows: d } = await knex.raw<{ rows: { transaction_id: string }[] }>('SELECT transaction_id FROM subsidy_disbursements WHERE id = ?', [disbursed.id]);
  const swaps = new Map([
    [disbursed.id, randomUUID()],
    [d[0].transaction_id, randomUUID()],
    [key, `${key}-replay`],
  ]);
  const otherPeriod = '1999-12';
  const swap = (b: unknown): unknown => {
    if (typeof b !== 'string') return b;
    if (b === period) return otherPeriod;
    let s = b;
    for (const [from, to] of swaps) if (s.includes(from)) s = s.split(from).join(to);
    return s;
  };
  const explained: ExplainedStatement[] = [];
  const client = new Client({ connectionString: databaseUrl, application_name: 'ccard-bench-explain' });
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'");
    // Foreign-key checks run as triggers named RI_ConstraintTrigger_…: name them by their constraint.
    const { rows: ri } = await client.query<{ tgname: string; conname: string }>(
      'SELECT t.tgname, c.conname FROM pg_trigger t JOIN pg_constraint c ON c.oid = t.tgconstraint WHERE t.tgisinternal',
    );
    const constraintOf = new Map(ri.map((r) => [r.tgname, r.conname]));
    await client.query('BEGIN');
    for (const [i, c] of captured.entries()) {
      if (/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(c.sql)) continue;
      const { rows } = await client.query<{ 'QUERY PLAN': ExplainJson[] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${c.sql}`, c.bindings.map(swap));
      const plan = rows[0]['QUERY PLAN'][0];
      explained.push({
        n: i + 1,
        label: label(c.sql),
        planningMs: round(plan['Planning Time'] ?? 0),
        executionMs: round(plan['Execution Time'] ?? 0),
        triggers: (plan.Triggers ?? []).map((t) => ({ name: constraintOf.get(t['Trigger Name']) ?? t['Trigger Name'], relation: t.Relation, ms: round(t.Time), calls: t.Calls })),
      });
    }
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }

  // The sealer only seals below the oldest transaction running anywhere on the server: retry briefly if another session holds it back.
  let sealed: Captured[] = [];
  let sealedCount = 0;
  let sealWallMs = 0;
  for (let attempt = 0; attempt < 50 && sealedCount === 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100));
    sealed = [];
    const s0 = performance.now();
    sealedCount = await capturing(knex, sealed, () => sealPending(knex));
    sealWallMs = performance.now() - s0;
  }
  const sealDbMs = sealed.reduce((sum, c) => sum + (c.end - c.start), 0);

  return {
    period,
    recipients: disbursed.recipients,
    wallMs: round(wallMs),
    statements,
    jsMs,
    dbMs: round(statements.reduce((s, x) => s + x.ms, 0)),
    explained,
    jsPieces: await jsPieces(knex, programId, disbursed.id),
    sealing: { sealed: sealedCount, wallMs: round(sealWallMs), dbMs: round(sealDbMs), jsMs: round(sealWallMs - sealDbMs) },
  };
}

/**
 * Runs `work` with every statement of this knex (and its transactions) timed at the pg
 * driver. knex's pg dialect resolves `_query` with its query object, the pg result in `response`.
 */
async function capturing<T>(knex: Knex, into: Captured[], work: () => Promise<T>): Promise<T> {
  type PgAnswer = { response?: { rowCount?: number | null } };
  const proto = Object.getPrototypeOf(knex.client) as { _query: (conn: unknown, obj: { sql: string; bindings?: unknown[] }) => Promise<PgAnswer> };
  const original = proto._query;
  proto._query = function (this: unknown, conn, obj) {
    const start = performance.now();
    return original.call(this, conn, obj).then((res) => {
      into.push({ sql: obj.sql, bindings: obj.bindings ?? [], start, end: performance.now(), rows: res?.response?.rowCount ?? null });
      return res;
    });
  };
  try {
    return await work();
  } finally {
    proto._query = original;
  }
}

interface ExplainJson {
  'Planning Time'?: number;
  'Execution Time'?: number;
  Triggers?: { 'Trigger Name': string; Relation: string; Time: number; Calls: number }[];
}

/** The Node-side steps of one disbursement, each timed alone on the residents of the one just made. */
async function jsPieces(knex: Knex, programId: string, disbursementId: string): Promise<{ piece: string; ms: number }[]> {
  const { rows } = await knex.raw<{ rows: { resident_id: string }[] }>('SELECT resident_id FROM subsidy_wallets WHERE disbursement_id = ? ORDER BY resident_id', [disbursementId]);
  const residents = rows.map((r) => r.resident_id);
  const pieces: { piece: string; ms: number }[] = [];
  const time = <T>(piece: string, f: () => T): T => {
    const t = performance.now();
    const v = f();
    pieces.push({ piece, ms: round(performance.now() - t) });
    return v;
  };
  const id = randomUUID();
  const wallets = time('residents.map(subsidyWallet)', () => residents.map((r) => subsidyWallet(id, r)));
  const each = new Decimal('200.00');
  const total = each.times(wallets.length);
  const transfer = time('build the transfer (one Decimal posting per recipient)', () => ({
    id,
    kind: 'disbursement',
    postings: [{ accountId: programAccountId(programId), amount: total.negated() }, ...wallets.map((a) => ({ accountId: a.id, amount: each }))],
    metadata: { programId, period: '2026-01' },
  }));
  time('transferFingerprint (format, sort, canonical JSON, SHA-256)', () => transferFingerprint(transfer));
  time('pgArray × 5 for ledger_accounts (ids, owner types, owner ids, kinds, flags)', () => [
    pgArray(wallets.map((a) => a.id)),
    pgArray(wallets.map((a) => a.ownerType)),
    pgArray(wallets.map((a) => a.ownerId)),
    pgArray(wallets.map((a) => a.kind)),
    pgArray(wallets.map((a) => a.mayGoNegative)),
  ]);
  time('pgArray × 2 for subsidy_wallets (account ids, resident ids)', () => [pgArray(wallets.map((w) => w.id)), pgArray(residents)]);
  return pieces;
}

function label(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 90 ? `${s.slice(0, 87)}...` : s;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
