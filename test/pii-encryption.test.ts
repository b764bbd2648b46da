import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { PiiKeyring } from '../src/common/pii-cipher';
import { KNEX } from '../src/db/database.module';
import { MIGRATIONS } from '../src/db/migrations';
import { hashIdNumber } from '../src/residents/id-number';
import { checkKeyringCoversData, encryptLeftoverPlaintext, piiKeyUsage, rotatePii } from '../src/residents/pii-maintenance';
import { ResidentPii } from '../src/residents/resident-pii';
import { ResidentsRepository } from '../src/residents/residents.repository';
import { bearer, startTestApp, TEST_ADMIN_KEY, TEST_ID_NUMBER_KEY, TEST_PII_KEYS, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { birthDateIn, cardUid, idNumber, maskedIdNumber, registerResident, residentBody, type ResidentView } from './support/residents';

/**
 * Residents' ID numbers and phones are stored only encrypted (AES-256-GCM, PII_KEYS),
 * found through keyed hashes, shown masked; keys rotate with `npm run pii:rotate`
 * (rotatePii); plaintext left from before encryption is encrypted at start.
 */
const admin = bearer(TEST_ADMIN_KEY);
const NEW_KEY = `k2:${randomBytes(32).toString('base64')}`;
const MIGRATION = MIGRATIONS['20261202000002_pii_encryption'];

/** The app's own knex (the role it serves as), for what the service itself would run. */
const appKnex = (t: TestApp) => t.app.get<Knex>(KNEX);
const rowText = async (t: TestApp, id: string): Promise<string> =>
  (await t.knex.raw(`SELECT row_to_json(r)::text AS t FROM residents r WHERE id = ?`, [id])).rows[0].t;
const view = async (t: TestApp, id: string) => {
  const res = await t.http.get(`/v1/residents/${id}`).set(admin);
  expect(res.status).toBe(200);
  return res.body as ResidentView;
};
const lookup = async (t: TestApp, idNumber: string) => (await t.http.post('/v1/residents/lookup').set(admin).send({ idNumber })).body.items as ResidentView[];
const byPhone = async (t: TestApp, phone: string) => (await t.app.get(ResidentsRepository).findByPhone(t.knex, phone)).map((r) => r.id);
const encValues = async (t: TestApp) =>
  (await t.knex('residents').orderBy('id').select('id', 'id_number_enc', 'phone_enc', 'id_number_hash', 'phone_hash')) as {
    id: string;
    id_number_enc: string | null;
    phone_enc: string | null;
    id_number_hash: string;
    phone_hash: string | null;
  }[];

function endingInX(region: string): string {
  for (;;) {
    const id = idNumber({ region });
    if (id.endsWith('X')) return id;
  }
}

describe('stored encrypted, answered masked', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  test('the row holds no plaintext ID number, mask or phone; the API answers as before', async () => {
    // A region of its own, and an X at the end, so no other digits in the row can match by chance.
    const region = '440304';
    const fixed = endingInX(region);
    const phone = '13912345678';
    const res = await t.http
      .post('/v1/residents')
      .set(admin)
      .send(residentBody({ name: '林加密', idNumber: fixed.toLowerCase(), birthDate: birthDateIn(fixed), phone: '+86 139 1234 5678' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ idNumberMasked: maskedIdNumber(fixed), phoneMasked: '139****5678' });

    const raw = await t.knex('residents').where({ id: res.body.id }).first();
    expect(raw).toMatchObject({
      id_number_masked: null,
      phone: null,
      id_number_enc: expect.stringMatching(/^v1:test1:[A-Za-z0-9+/]+=*$/),
      phone_enc: expect.stringMatching(/^v1:test1:[A-Za-z0-9+/]+=*$/),
      id_number_hash: hashIdNumber(fixed, TEST_ID_NUMBER_KEY),
      phone_hash: t.app.get(ResidentPii).phoneHash(phone),
    });
    // The digits are nowhere in the row's text: not the number, not its mask, not its
    // region or its last four (which with birth_date rebuild it), not the phone in any form.
    const text = await rowText(t, res.body.id);
    const absent = [fixed, fixed.toLowerCase(), maskedIdNumber(fixed), region, fixed.slice(6, 14), fixed.slice(14), phone, phone.slice(3), '139****5678', '1234 5678'];
    for (const digits of absent) expect({ digits, found: text.includes(digits) }).toEqual({ digits, found: false });

    // Every way a resident is read still answers the masks.
    expect(await view(t, res.body.id)).toEqual(res.body);
    expect(await lookup(t, fixed)).toEqual([res.body]);
    const search = await t.http.post('/v1/desk/residents/search').set(admin).send({ name: res.body.name });
    expect(search.body.items).toContainEqual(res.body);
    const card = await t.http.post('/v1/cards').set(admin).send({ residentId: res.body.id, uid: cardUid() });
    expect(card.status).toBe(201);
    const tap = await t.http.post('/v1/stations/S1/taps').set(admin).send({ uid: card.body.uid });
    expect(tap.status).toBe(202);
    expect(tap.body.card.resident).toEqual({ id: res.body.id, name: res.body.name, idNumberMasked: maskedIdNumber(fixed) });
  });

  test('found by ID number (keyed hash) and by phone (blind index over the normalised number)', async () => {
    const phone = '13712340001';
    const a = await registerResident(t, { phone });
    const b = await registerResident(t, { phone }); // a family may share a phone
    const c = await registerResident(t, { phone: '021-87654321' });
    expect((await lookup(t, a.sent.idNumber)).map((r) => r.id)).toEqual([a.id]);
    expect(await byPhone(t, phone)).toEqual([a.id, b.id].sort());
    expect(await byPhone(t, '+86 137 1234 0001')).toEqual([a.id, b.id].sort());
    expect(await byPhone(t, '02187654321')).toEqual([c.id]);
    expect(await byPhone(t, '13712340002')).toEqual([]);
  });

  test('a changed phone is stored encrypted, found by the new number and no longer by the old', async () => {
    const r = await registerResident(t, { phone: '13600000001' });
    const res = await t.http.patch(`/v1/residents/${r.id}`).set(admin).send({ phone: '136 0000 0002' });
    expect(res.status).toBe(200);
    expect(res.body.phoneMasked).toBe('136****0002');
    expect(await byPhone(t, '13600000001')).toEqual([]);
    expect(await byPhone(t, '13600000002')).toEqual([r.id]);
    const text = await rowText(t, r.id);
    for (const digits of ['13600000001', '13600000002', '136****0002']) expect(text).not.toContain(digits);
  });

  test('the database refuses new plaintext in the old columns', async () => {
    const r = await registerResident(t);
    await expect(t.knex('residents').where({ id: r.id }).update({ phone: '13800138000' })).rejects.toThrow(/residents_no_plaintext_pii/);
    await expect(t.knex('residents').where({ id: r.id }).update({ id_number_masked: maskedIdNumber(r.sent.idNumber) })).rejects.toThrow(/residents_no_plaintext_pii/);
  });

  test('a value moved to another resident or altered does not decrypt: the read fails rather than show the wrong person', async () => {
    const a = await registerResident(t);
    const b = await registerResident(t);
    const stolen = (await t.knex('residents').where({ id: a.id }).first('phone_enc', 'phone_hash')) as { phone_enc: string; phone_hash: string };
    await t.knex('residents').where({ id: b.id }).update(stolen);
    const res = await t.http.get(`/v1/residents/${b.id}`).set(admin);
    expect(res.status).toBe(500);
    expect(res.text).not.toContain(a.sent.phone!);
  });
});

describe('key rotation', () => {
  let db: TestDatabase;
  let t: TestApp | undefined;
  const residents: (ResidentView & { sent: { idNumber: string; phone?: string } })[] = [];
  let before: Awaited<ReturnType<typeof encValues>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    for (let i = 0; i < 5; i++) residents.push(await registerResident(t, i === 2 ? { phone: undefined } : {}));
    before = await encValues(t);
    await t.close();
    // Step 1: the new key goes first in PII_KEYS, the old one stays; every instance restarts.
    t = await startTestApp({ db, config: { piiKeys: `${NEW_KEY},${TEST_PII_KEYS}` } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  test('with the new key first, old values still read, and new ones are written under it', async () => {
    for (const r of residents) expect(await view(t!, r.id)).toEqual((({ sent: _, ...v }) => v)(r));
    const fresh = await registerResident(t!);
    residents.push(fresh);
    expect((await t!.knex('residents').where({ id: fresh.id }).first('id_number_enc')).id_number_enc).toMatch(/^v1:k2:/);
    expect(await piiKeyUsage(t!.knex)).toEqual({ byKey: { k2: 2, test1: 9 }, plaintextRows: 0 });
  });

  test('the old key may not go yet: a keyring without it is refused, naming it', async () => {
    const onlyNew = new ResidentPii(TEST_ID_NUMBER_KEY, PiiKeyring.parse(NEW_KEY));
    await expect(checkKeyringCoversData(t!.knex, onlyNew)).rejects.toThrow(/"test1", which PII_KEYS does not have/);
    const impostor = new ResidentPii(TEST_ID_NUMBER_KEY, PiiKeyring.parse(`${NEW_KEY},test1:${randomBytes(32).toString('base64')}`));
    await expect(checkKeyringCoversData(t!.knex, impostor)).rejects.toThrow(/key "test1" in PII_KEYS does not decrypt/);
  });

  test('rotation re-encrypts every value under the new key, in batches; hashes stay; a second run has nothing to do', async () => {
    const pii = t!.app.get(ResidentPii);
    const report = await rotatePii(appKnex(t!), pii, 2);
    expect(report).toEqual({ plaintextRows: 0, reencryptedRows: 5, currentKey: 'k2', byKey: { k2: 11 }, stale: 0 });
    const after = await encValues(t!);
    for (const b of before) {
      const a = after.find((r) => r.id === b.id)!;
      expect(a.id_number_enc).toMatch(/^v1:k2:/);
      expect(a.id_number_enc).not.toBe(b.id_number_enc);
      expect(a.phone_enc === null).toBe(b.phone_enc === null);
      if (a.phone_enc) expect(a.phone_enc).toMatch(/^v1:k2:/);
      expect({ id: a.id_number_hash, phone: a.phone_hash }).toEqual({ id: b.id_number_hash, phone: b.phone_hash });
    }
    expect(await rotatePii(appKnex(t!), pii, 2)).toMatchObject({ reencryptedRows: 0, stale: 0 });
    expect(await encValues(t!)).toEqual(after);
  });

  test('then the old key is dropped: the service starts with the new key alone and answers the same', async () => {
    await t!.close();
    t = undefined;
    t = await startTestApp({ db, config: { piiKeys: NEW_KEY } });
    for (const r of residents) {
      const { sent, ...v } = r;
      expect(await view(t, r.id)).toEqual(v);
      expect(await lookup(t, sent.idNumber)).toEqual([v]);
      if (sent.phone) expect(await byPhone(t, sent.phone)).toContain(r.id);
    }
  });
});

describe('plaintext from before encryption', () => {
  let db: TestDatabase;
  let t: TestApp | undefined;
  // Ending in X, so its last four cannot turn up by chance among the hex digits of the hashes.
  const legacy = { id: randomUUID(), idNumber: endingInX('320102'), phone: '13311112222' };
  const noPhone = { id: randomUUID(), idNumber: idNumber({ region: '320102' }) };
  const FILLER = 1100;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The schema as it was before the migration, rows written the way the old code wrote them.
    const k = await db.connect();
    try {
      await MIGRATION.down(k);
      for (const r of [legacy, { ...noPhone, phone: null }]) {
        await k('residents').insert({
          id: r.id,
          name: '旧住户',
          id_number_hash: hashIdNumber(r.idNumber, TEST_ID_NUMBER_KEY),
          id_number_masked: maskedIdNumber(r.idNumber),
          birth_date: birthDateIn(r.idNumber),
          phone: r.phone,
          community: '金杨新村',
          building: '1号楼',
        });
      }
      await k.raw(
        `INSERT INTO residents (id, name, id_number_hash, id_number_masked, birth_date, phone, community, building)
         SELECT gen_random_uuid(), '旧住户' || i, md5('old' || i) || md5('old' || i || 'x'), '310115********' || lpad(i::text, 4, '0'),
                DATE '1950-01-01' + i, CASE WHEN i % 3 = 0 THEN NULL ELSE '138' || lpad(i::text, 8, '0') END, '金杨新村', '2号楼'
           FROM generate_series(1, ?::int) AS i`,
        [FILLER],
      );
      await MIGRATION.up(k);
      expect(await piiKeyUsage(k)).toEqual({ byKey: {}, plaintextRows: FILLER + 2 });
    } finally {
      await k.destroy();
    }
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  test('the service encrypted it at start, in batches, and emptied the plaintext columns', async () => {
    // Every row's ID number (its mask), and the phones of the two thirds of the filler that have one, plus `legacy`'s.
    const phones = FILLER - Math.floor(FILLER / 3) + 1;
    expect(await piiKeyUsage(t!.knex)).toEqual({ byKey: { test1: FILLER + 2 + phones }, plaintextRows: 0 });
  });

  test('the legacy rows hold no plaintext any more, answer the same masks, and are found by ID number and phone', async () => {
    const text = await rowText(t!, legacy.id);
    for (const digits of [maskedIdNumber(legacy.idNumber), legacy.idNumber.slice(14), legacy.phone, legacy.phone.slice(3)]) expect(text).not.toContain(digits);
    expect(await view(t!, legacy.id)).toMatchObject({ idNumberMasked: maskedIdNumber(legacy.idNumber), phoneMasked: '133****2222' });
    expect(await view(t!, noPhone.id)).toMatchObject({ idNumberMasked: maskedIdNumber(noPhone.idNumber), phoneMasked: null });
    expect((await lookup(t!, legacy.idNumber)).map((r) => r.id)).toEqual([legacy.id]);
    expect(await byPhone(t!, legacy.phone)).toEqual([legacy.id]);
    // What was stored for them is the mask: the full number was never known.
    const row = await t!.knex('residents').where({ id: legacy.id }).first('id_number_enc');
    expect(t!.app.get(ResidentPii).cipher.decrypt(row.id_number_enc, `residents.id_number/${legacy.id}`)).toBe(maskedIdNumber(legacy.idNumber));
  });

  test('idempotent: another run finds nothing to do and changes nothing', async () => {
    const before = await encValues(t!);
    expect(await encryptLeftoverPlaintext(appKnex(t!), t!.app.get(ResidentPii), 100)).toBe(0);
    expect(await encValues(t!)).toEqual(before);
  });

  test('a legacy row can still be changed afterwards', async () => {
    const res = await t!.http.patch(`/v1/residents/${legacy.id}`).set(admin).send({ phone: '13311113333' });
    expect(res.status).toBe(200);
    expect(res.body.phoneMasked).toBe('133****3333');
    expect(await byPhone(t!, '13311113333')).toEqual([legacy.id]);
  });
});
