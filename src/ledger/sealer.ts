import type { Knex } from 'knex';
import { extendChain } from '../../ledger/chain';
import { pgArray } from '../db/pg-array';
import { inTransaction } from '../db/transaction';
import { CREATED_AT_TEXT, withEntries, type TransactionRow } from './chain-rows';

const SEALER_LOCK = 7260_0002;
const BATCH = 2000;

/**
 * Appends committed ledger transactions to the hash chain. Writers never touch the
 * chain, so they never queue on it. Transactions are sealed in (xid, id) order and
 * only below the oldest transaction still running (the snapshot's xmin): anything
 * below it has committed or aborted, so nothing can later appear before the point
 * already sealed. Returns how many transactions it sealed.
 */
export async function sealPending(knex: Knex): Promise<number> {
  let total = 0;
  for (;;) {
    const sealed = await inTransaction(knex, (trx) => sealBatch(trx));
    total += sealed;
    if (sealed < BATCH) return total;
  }
}

async function sealBatch(trx: Knex.Transaction): Promise<number> {
  const { rows: lock } = await trx.raw<{ rows: { ok: boolean }[] }>('SELECT pg_try_advisory_xact_lock(?) AS ok', [SEALER_LOCK]);
  if (!lock[0].ok) return 0; // another instance is sealing right now
  const { rows: state } = await trx.raw<{ rows: { last_xid: string; last_id: string; xmin: string }[] }>(
    `SELECT last_xid::text, last_id, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin FROM ledger_sealer WHERE id = 1 FOR UPDATE`,
  );
  const { last_xid, last_id, xmin } = state[0];
  const { rows: txs } = await trx.raw<{ rows: (TransactionRow & { xid: string })[] }>(
    `SELECT t.id, t.kind, ${CREATED_AT_TEXT} AS created_at, t.body_hash, t.metadata, t.xid::text AS xid
     FROM ledger_transactions t
     WHERE (t.xid, t.id) > (?::xid8, ?::uuid) AND t.xid < ?::xid8
     ORDER BY t.xid, t.id LIMIT ?`,
    [last_xid, last_id, xmin, BATCH],
  );
  if (txs.length === 0) return 0;

  const { rows: heads } = await trx.raw<{ rows: { position: string; hash: string }[] }>(
    'SELECT c.position::text AS position, c.hash FROM ledger_chain c ORDER BY c.position DESC LIMIT 1',
  );
  const links = extendChain(heads[0] ?? null, await withEntries(trx, txs));
  await trx.raw(
    `INSERT INTO ledger_chain (position, transaction_id, prev_hash, hash)
     SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::text[], ?::text[])`,
    [pgArray(links.map((l) => l.position)), pgArray(links.map((l) => l.transactionId)), pgArray(links.map((l) => l.prevHash)), pgArray(links.map((l) => l.hash))],
  );
  const last = txs[txs.length - 1];
  await trx.raw('UPDATE ledger_sealer SET last_xid = ?::xid8, last_id = ?::uuid WHERE id = 1', [last.xid, last.id]);
  return txs.length;
}
