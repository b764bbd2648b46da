import type { Knex } from 'knex';

/**
 * Residents' ID numbers and phones encrypted at rest (src/common/pii-cipher.ts).
 *
 * - `id_number_enc`: the ID number, AES-256-GCM under a key of PII_KEYS, as text
 *   `v1:<key id>:<base64>`. For rows registered before this migration only the masked
 *   form was ever stored, so that is what gets encrypted for them.
 * - `phone_enc`: the phone, the same way; `phone_hash`: a keyed hash (blind index) of the
 *   normalised phone, to find residents by phone without decrypting.
 * - `id_number_hash` stays as it is: the keyed hash ID numbers are found by.
 *
 * The plaintext columns (`id_number_masked`, `phone`) stay for now, nullable: a migration
 * cannot encrypt without the key, so the service encrypts what is left in them at start
 * (src/residents/pii-maintenance.ts) and empties them. From here on the database refuses
 * any new plaintext in them (a NOT VALID check: enforced on every insert and update, not
 * on the rows already there). A later migration drops them.
 */
const STATEMENTS = [
  `ALTER TABLE residents
     ADD COLUMN id_number_enc text CHECK (id_number_enc ~ '^v1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]+={0,2}$'),
     ADD COLUMN phone_enc text CHECK (phone_enc ~ '^v1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]+={0,2}$'),
     ADD COLUMN phone_hash char(64),
     ALTER COLUMN id_number_masked DROP NOT NULL,
     ADD CONSTRAINT residents_phone_blind_index CHECK ((phone_enc IS NULL) = (phone_hash IS NULL))`,
  `ALTER TABLE residents ADD CONSTRAINT residents_no_plaintext_pii CHECK (id_number_masked IS NULL AND phone IS NULL) NOT VALID`,
  // Several residents may share a phone (a family): an index, not a uniqueness rule.
  `CREATE INDEX residents_phone_hash ON residents (phone_hash) WHERE phone_hash IS NOT NULL`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of STATEMENTS) await knex.raw(sql);
}

/** Only while nothing has been encrypted yet: dropping the columns would lose the data. */
export async function down(knex: Knex): Promise<void> {
  const statements = [
    `DO $$ BEGIN
       IF EXISTS (SELECT 1 FROM residents WHERE id_number_enc IS NOT NULL OR phone_enc IS NOT NULL) THEN
         RAISE EXCEPTION 'residents hold encrypted ID numbers or phones; dropping the columns would lose them';
       END IF;
     END $$`,
    `DROP INDEX IF EXISTS residents_phone_hash`,
    `ALTER TABLE residents
       DROP CONSTRAINT residents_no_plaintext_pii,
       DROP CONSTRAINT residents_phone_blind_index,
       DROP COLUMN id_number_enc,
       DROP COLUMN phone_enc,
       DROP COLUMN phone_hash,
       ALTER COLUMN id_number_masked SET NOT NULL`,
  ];
  for (const sql of statements) await knex.raw(sql);
}
