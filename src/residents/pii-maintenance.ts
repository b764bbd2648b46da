import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Knex } from 'knex';
import { PiiDecryptError } from '../common/pii-cipher';
import { ConfigError } from '../config/app-config';
import { InjectKnex } from '../db/database.module';
import { pgArray } from '../db/pg-array';
import { inTransaction } from '../db/transaction';
import { ID_NUMBER_CONTEXT, PHONE_CONTEXT, ResidentPii } from './resident-pii';

/** Rows per transaction: short enough not to hold row locks long, large enough to be one statement's work. */
export const PII_BATCH = 500;

interface PlaintextRow {
  id: string;
  id_number_enc: string | null;
  id_number_masked: string | null;
  phone_enc: string | null;
  phone_hash: string | null;
  phone: string | null;
}

/**
 * Encrypts what rows from before encryption still hold in plaintext (`id_number_masked`,
 * `phone`: only the mask of those ID numbers was ever stored, so the mask is what gets
 * encrypted) and empties those columns. Idempotent; in batches, each its own transaction;
 * several instances starting together share the work (SKIP LOCKED). Returns the rows changed.
 */
export async function encryptLeftoverPlaintext(knex: Knex, pii: ResidentPii, batchSize = PII_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await inTransaction(knex, async (trx) => {
      const rows = await trx('residents')
        .where((q) => q.whereNotNull('id_number_masked').orWhereNotNull('phone'))
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .select<PlaintextRow[]>('id', 'id_number_enc', 'id_number_masked', 'phone_enc', 'phone_hash', 'phone');
      if (rows.length === 0) return 0;
      const sealed = rows.map((r) => {
        // A value already encrypted wins over a plaintext one: only the service writes the encrypted columns.
        const idNumberEnc = r.id_number_enc ?? (r.id_number_masked ? pii.cipher.encrypt(r.id_number_masked, ID_NUMBER_CONTEXT(r.id)) : null);
        const phone = r.phone_enc !== null ? { phone_enc: r.phone_enc, phone_hash: r.phone_hash } : pii.phoneColumns(r.id, r.phone);
        return { id: r.id, idNumberEnc, ...phone };
      });
      await trx.raw(
        `UPDATE residents r
            SET id_number_enc = v.id_number_enc, phone_enc = v.phone_enc, phone_hash = v.phone_hash, id_number_masked = NULL, phone = NULL
           FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[]) AS v (id, id_number_enc, phone_enc, phone_hash)
          WHERE r.id = v.id`,
        [pgArray(sealed.map((s) => s.id)), pgArray(sealed.map((s) => s.idNumberEnc)), pgArray(sealed.map((s) => s.phone_enc)), pgArray(sealed.map((s) => s.phone_hash))],
      );
      return rows.length;
    });
    if (n === 0) return total;
    total += n;
  }
}

/**
 * Re-encrypts every value not under the current key (the first of PII_KEYS) with it.
 * Walks the table once in id order, a batch per transaction, each batch's rows locked
 * while they are rewritten, so a concurrent change of a phone is never lost. Returns
 * the rows rewritten.
 */
export async function reencryptToCurrentKey(knex: Knex, pii: ResidentPii, batchSize = PII_BATCH): Promise<number> {
  const current = pii.cipher.keyring.current.id;
  let after = '00000000-0000-0000-0000-000000000000';
  let total = 0;
  for (;;) {
    const last = await inTransaction(knex, async (trx) => {
      const { rows } = await trx.raw<{ rows: { id: string; id_number_enc: string | null; phone_enc: string | null }[] }>(
        `SELECT id, id_number_enc, phone_enc FROM residents
          WHERE id > ? AND (split_part(id_number_enc, ':', 2) <> ? OR split_part(phone_enc, ':', 2) <> ?)
          ORDER BY id LIMIT ? FOR UPDATE`,
        [after, current, current, batchSize],
      );
      if (rows.length === 0) return null;
      const ids = rows.map((r) => r.id);
      const idNumbers = rows.map((r) => (r.id_number_enc === null ? null : pii.cipher.reencrypt(r.id_number_enc, ID_NUMBER_CONTEXT(r.id))));
      const phones = rows.map((r) => (r.phone_enc === null ? null : pii.cipher.reencrypt(r.phone_enc, PHONE_CONTEXT(r.id))));
      await trx.raw(
        `UPDATE residents r SET id_number_enc = v.id_number_enc, phone_enc = v.phone_enc
           FROM unnest(?::uuid[], ?::text[], ?::text[]) AS v (id, id_number_enc, phone_enc)
          WHERE r.id = v.id`,
        [pgArray(ids), pgArray(idNumbers), pgArray(phones)],
      );
      return { id: ids[ids.length - 1], count: rows.length };
    });
    if (!last) return total;
    after = last.id;
    total += last.count;
  }
}

/** How many stored values each key id holds, and how many rows still hold plaintext. */
export async function piiKeyUsage(knex: Knex): Promise<{ byKey: Record<string, number>; plaintextRows: number }> {
  const { rows } = await knex.raw<{ rows: { key_id: string; n: string }[] }>(
    `SELECT key_id, count(*) AS n FROM (
       SELECT split_part(id_number_enc, ':', 2) AS key_id FROM residents WHERE id_number_enc IS NOT NULL
       UNION ALL
       SELECT split_part(phone_enc, ':', 2) FROM residents WHERE phone_enc IS NOT NULL
     ) v GROUP BY key_id ORDER BY key_id`,
  );
  const plain = await knex('residents').whereNotNull('id_number_masked').orWhereNotNull('phone').count<{ n: string }[]>('* as n');
  return { byKey: Object.fromEntries(rows.map((r) => [r.key_id, Number(r.n)])), plaintextRows: Number(plain[0].n) };
}

/**
 * Refuses a keyring that cannot read what is stored: a key id in use that is missing from
 * PII_KEYS (removed before `npm run pii:rotate`, or an instance started with an old
 * PII_KEYS), or a key under an id in use that does not decrypt a sample of its values
 * (another key given the same id). Better not to start than to fail every resident read.
 */
export async function checkKeyringCoversData(knex: Knex, pii: ResidentPii): Promise<void> {
  const { rows } = await knex.raw<{ rows: { key_id: string; id: string; col: 'id_number' | 'phone'; val: string }[] }>(
    `SELECT DISTINCT ON (key_id) key_id, id, col, val FROM (
       SELECT split_part(id_number_enc, ':', 2) AS key_id, id, 'id_number' AS col, id_number_enc AS val FROM residents WHERE id_number_enc IS NOT NULL
       UNION ALL
       SELECT split_part(phone_enc, ':', 2), id, 'phone', phone_enc FROM residents WHERE phone_enc IS NOT NULL
     ) v ORDER BY key_id, id`,
  );
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const r of rows) {
    try {
      pii.cipher.decrypt(r.val, r.col === 'id_number' ? ID_NUMBER_CONTEXT(r.id) : PHONE_CONTEXT(r.id));
    } catch (err) {
      if (!(err instanceof PiiDecryptError)) throw err;
      (err.reason === 'unknown_key' ? missing : wrong).push(r.key_id);
    }
  }
  const problems = [
    ...(missing.length ? [`residents' ID numbers or phones are encrypted under key ${ids(missing)}, which PII_KEYS does not have: put ${missing.length > 1 ? 'them' : 'it'} back (keys are removed only after npm run pii:rotate)`] : []),
    ...(wrong.length ? [`key ${ids(wrong)} in PII_KEYS does not decrypt the values stored under ${wrong.length > 1 ? 'those ids' : 'that id'}: it is not the key they were written with`] : []),
  ];
  if (problems.length) throw new ConfigError(`invalid configuration:\n  PII_KEYS: ${problems.join('\n  PII_KEYS: ')}`);
}

const ids = (list: string[]) => list.map((k) => `"${k}"`).join(', ');

export interface RotationReport {
  /** Rows from before encryption that were encrypted now. */
  plaintextRows: number;
  /** Rows rewritten under the current key. */
  reencryptedRows: number;
  currentKey: string;
  /** Stored values per key id after the run. */
  byKey: Record<string, number>;
  /** Values still under another key (written meanwhile by an instance with an old PII_KEYS); 0 when the old keys may go. */
  stale: number;
}

/** `npm run pii:rotate`: everything under the current key, plaintext leftovers included. */
export async function rotatePii(knex: Knex, pii: ResidentPii, batchSize = PII_BATCH): Promise<RotationReport> {
  await checkKeyringCoversData(knex, pii);
  const plaintextRows = await encryptLeftoverPlaintext(knex, pii, batchSize);
  const reencryptedRows = await reencryptToCurrentKey(knex, pii, batchSize);
  const currentKey = pii.cipher.keyring.current.id;
  const { byKey } = await piiKeyUsage(knex);
  const stale = Object.entries(byKey).reduce((n, [k, count]) => (k === currentKey ? n : n + count), 0);
  return { plaintextRows, reencryptedRows, currentKey, byKey, stale };
}

/**
 * Before the service serves: checks that PII_KEYS reads what is stored, then encrypts
 * any plaintext left from before encryption (rows registered by an older version).
 */
@Injectable()
export class PiiStartup implements OnApplicationBootstrap {
  private readonly logger = new Logger(PiiStartup.name);

  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly pii: ResidentPii,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await checkKeyringCoversData(this.knex, this.pii);
    const encrypted = await encryptLeftoverPlaintext(this.knex, this.pii);
    if (encrypted > 0) this.logger.log(`encrypted the plaintext ID numbers and phones of ${encrypted} residents stored before encryption`);
  }
}
