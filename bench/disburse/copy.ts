import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Query } from 'pg';

const CHUNK = 1 << 20;

/**
 * `COPY ... FROM STDIN` over pg's own connection, the way pg-copy-streams does it
 * (which is not a dependency of this project): the rows are prepared in memory first,
 * then sent as CopyData messages as soon as the server asks for them.
 */
class CopyFromStdin extends Query {
  constructor(
    text: string,
    private readonly data: Buffer,
    callback: (err: Error | undefined, result: unknown) => void,
  ) {
    super(text, callback as never);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    for (let i = 0; i < this.data.length; i += CHUNK) connection.sendCopyFromChunk(this.data.subarray(i, i + CHUNK));
    connection.endCopyFrom();
  }
}

async function copyIn(client: Client, sql: string, rows: string[]): Promise<{ rows: number; ms: number; bytes: number }> {
  const data = Buffer.from(rows.join(''), 'utf8');
  const t0 = performance.now();
  const rowCount = await new Promise<number>((resolve, reject) => {
    client.query(new CopyFromStdin(sql, data, (err, result) => (err ? reject(err) : resolve((result as { rowCount: number }).rowCount))));
  });
  const ms = performance.now() - t0;
  if (rowCount !== rows.length) throw new Error(`${sql}: copied ${rowCount} rows, expected ${rows.length}`);
  return { rows: rowCount, ms: round(ms), bytes: data.length };
}

async function timed(client: Client, sql: string, values?: unknown[]): Promise<number> {
  const t0 = performance.now();
  await client.query(sql, values);
  return round(performance.now() - t0);
}

export interface CopyStep {
  step: string;
  rows: number;
  ms: number;
}

export interface CopyReference {
  /** Each run: 160,001 rows into a plain table shaped like ledger_entries (no foreign keys, no trigger), autocommit. */
  entriesOnly: { runsMs: number[]; medianMs: number; rows: number; bytes: number; table: string };
  /** The disbursement's rows into plain copies of its four big tables (same columns, CHECKs and indexes; no foreign keys, no triggers), one transaction. */
  allTablesPlain: { totalMs: number; rows: number; steps: CopyStep[] };
  /** The disbursement's rows into the real tables (all constraints, foreign keys and triggers), one transaction. */
  allTables: { totalMs: number; rows: number; steps: CopyStep[] };
}

/**
 * The reference the issue asks for: how long PostgreSQL itself takes to take in the
 * same rows with COPY, on a database seeded the same way as the bench's (a separate
 * one, so nothing here touches the ledger under test). Building the rows in Node is
 * not timed; sending them is.
 */
export async function copyReference(databaseUrl: string, amount: string, runs: number, checkpoint: () => Promise<void>): Promise<CopyReference> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'ccard-bench-copy' });
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'");
    const { rows: residents } = await client.query<{ id: string }>(
      `SELECT r.id FROM residents r
       WHERE date_part('year', age((now() AT TIME ZONE 'Asia/Shanghai')::date, r.birth_date)) >= 60
         AND EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.id AND c.status = 'active')
       ORDER BY r.id`,
    );
    const n = residents.length;
    const programId = randomUUID();
    const disbursementId = randomUUID();
    const transactionId = randomUUID();
    const budget = `program:${programId}`;
    const total = (Number(amount) * n).toFixed(2);
    const wallet = (r: { id: string }) => `subsidy:${disbursementId}:${r.id}`;
    const entryRows = [`${transactionId}\t${budget}\t-${total}\n`, ...residents.map((r) => `${transactionId}\t${wallet(r)}\t${amount}\n`)];

    // 1. ledger_entries alone, into a plain table of the same shape and indexes.
    const runsMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const table = `copy_ref_entries_${i}`;
      await client.query(`CREATE TABLE ${table} (LIKE ledger_entries INCLUDING ALL)`);
      await checkpoint();
      const r = await copyIn(client, `COPY ${table} (transaction_id, account_id, amount) FROM STDIN`, entryRows);
      runsMs.push(r.ms);
      bytes = r.bytes;
    }

    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const accountRows = residents.map((r) => `${wallet(r)}\tresident\t${r.id}\tsubsidy_wallet\tCNY\tf\n`);
    const balanceRows = residents.map((r) => `${wallet(r)}\t0\tf\t${amount}\n`);
    const walletRows = residents.map((r) => `${wallet(r)}\t${r.id}\t${programId}\t${disbursementId}\t${expiresAt}\n`);

    // 2. The same four tables' rows into plain copies of them: what the rows and indexes cost without foreign keys.
    for (const t of ['ledger_accounts', 'ledger_balances', 'ledger_entries', 'subsidy_wallets']) await client.query(`CREATE TABLE plain_${t} (LIKE ${t} INCLUDING ALL)`);
    await checkpoint();
    const plainSteps: CopyStep[] = [];
    const p0 = performance.now();
    plainSteps.push({ step: 'BEGIN', rows: 0, ms: await timed(client, 'BEGIN') });
    for (const [table, columns, rows] of [
      ['ledger_accounts', 'id, owner_type, owner_id, kind, currency, may_go_negative', accountRows],
      ['ledger_balances', 'account_id, shard, may_go_negative, balance', balanceRows],
      ['ledger_entries', 'transaction_id, account_id, amount', entryRows],
      ['subsidy_wallets', 'account_id, resident_id, program_id, disbursement_id, expires_at', walletRows],
    ] as const) {
      const r = await copyIn(client, `COPY plain_${table} (${columns}) FROM STDIN`, rows);
      plainSteps.push({ step: `COPY plain_${table}`, rows: r.rows, ms: r.ms });
    }
    plainSteps.push({ step: 'COMMIT', rows: 0, ms: await timed(client, 'COMMIT') });
    const plainMs = round(performance.now() - p0);

    // 3. Everything a disbursement writes, into the real tables, in one transaction.
    await client.query(
      `INSERT INTO subsidy_programs (id, name, kind, merchant_categories, min_age, amount, valid_days) VALUES ($1, 'COPY reference', 'allowance', '{canteen}', 60, $2, 30)`,
      [programId, amount],
    );
    await client.query(`INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative) VALUES ($1, 'program', $2, 'program_budget', 'CNY', false)`, [budget, programId]);
    await checkpoint();
    const steps: CopyStep[] = [];
    const t0 = performance.now();
    steps.push({ step: 'BEGIN', rows: 0, ms: await timed(client, 'BEGIN') });
    const a = await copyIn(client, 'COPY ledger_accounts (id, owner_type, owner_id, kind, currency, may_go_negative) FROM STDIN', accountRows);
    steps.push({ step: 'COPY ledger_accounts', rows: a.rows, ms: a.ms });
    const b = await copyIn(client, 'COPY ledger_balances (account_id, shard, may_go_negative, balance) FROM STDIN', balanceRows);
    steps.push({ step: 'COPY ledger_balances', rows: b.rows, ms: b.ms });
    steps.push({
      step: 'INSERT ledger_transactions',
      rows: 1,
      ms: await timed(client, `INSERT INTO ledger_transactions (id, kind, body_hash, metadata) VALUES ($1, 'disbursement', $2, '{}')`, [transactionId, '0'.repeat(64)]),
    });
    const e = await copyIn(client, 'COPY ledger_entries (transaction_id, account_id, amount) FROM STDIN', entryRows);
    steps.push({ step: 'COPY ledger_entries', rows: e.rows, ms: e.ms });
    steps.push({
      step: 'INSERT subsidy_disbursements',
      rows: 1,
      ms: await timed(
        client,
        `INSERT INTO subsidy_disbursements (id, program_id, period, recipients, total, expires_at, transaction_id) VALUES ($1, $2, '2000-01', $3, $4, $5, $6)`,
        [disbursementId, programId, n, total, expiresAt, transactionId],
      ),
    });
    const w = await copyIn(client, 'COPY subsidy_wallets (account_id, resident_id, program_id, disbursement_id, expires_at) FROM STDIN', walletRows);
    steps.push({ step: 'COPY subsidy_wallets', rows: w.rows, ms: w.ms });
    steps.push({ step: 'COMMIT', rows: 0, ms: await timed(client, 'COMMIT') });
    const totalMs = round(performance.now() - t0);

    const sorted = [...runsMs].sort((x, y) => x - y);
    return {
      entriesOnly: { runsMs, medianMs: sorted[Math.floor(sorted.length / 2)], rows: entryRows.length, bytes, table: '(LIKE ledger_entries INCLUDING ALL): identity, CHECK, primary key and both indexes; no foreign keys, no trigger' },
      allTablesPlain: { totalMs: plainMs, rows: plainSteps.reduce((s, x) => s + x.rows, 0), steps: plainSteps },
      allTables: { totalMs, rows: steps.reduce((s, x) => s + x.rows, 0), steps },
    };
  } finally {
    await client.end();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
