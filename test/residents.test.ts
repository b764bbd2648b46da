import { randomUUID } from 'node:crypto';
import { hashIdNumber } from '../src/residents/id-number';
import { ResidentPii } from '../src/residents/resident-pii';
import { bearer, startTestApp, TEST_ADMIN_KEY, TEST_ID_NUMBER_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import {
  birthDateIn,
  dbState,
  expectError,
  idNumber,
  idNumberEndingInX,
  maskedIdNumber,
  registerResident,
  residentBody,
  withWrongCheckDigit,
} from './support/residents';

let t: TestApp;
let keys: { operator: string; door: string; auditor: string };

beforeAll(async () => {
  t = await startTestApp();
  keys = {
    operator: (await apiKey(t, 'operator')).key,
    door: (await apiKey(t, 'door')).key,
    auditor: (await apiKey(t, 'auditor')).key,
  };
});
afterAll(async () => {
  await t?.close();
});

const admin = bearer(TEST_ADMIN_KEY);
const register = (body: unknown, key = TEST_ADMIN_KEY) => t.http.post('/v1/residents').set(bearer(key)).send(body as object);

describe('POST /v1/residents', () => {
  test('201 with the contract shape; the ID number stored only encrypted and hashed, shown masked; the phone the same', async () => {
    const body = residentBody({ phone: '13800138000' });
    const res = await register(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: '张秀英',
      idNumberMasked: maskedIdNumber(body.idNumber),
      birthDate: body.birthDate,
      phoneMasked: '138****8000',
      address: { community: '金杨新村', building: '12号楼', unit: '2单元', room: '301' },
      tags: ['dibao'],
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
    });
    expect(res.body.idNumberMasked).toMatch(/^\d{6}\*{8}[0-9X]{4}$/);
    expect(res.text).not.toContain(body.idNumber);
    expect(res.text).not.toContain('13800138000');

    const row = await t.knex('residents').where({ id: res.body.id }).first();
    expect(row.id_number_hash).toBe(hashIdNumber(body.idNumber, TEST_ID_NUMBER_KEY));
    expect(row).toMatchObject({ id_number_masked: null, phone: null, id_number_enc: expect.stringMatching(/^v1:test1:/), phone_enc: expect.stringMatching(/^v1:test1:/) });
    // Neither the full number nor its mask is in any column of the row (test/pii-encryption.test.ts has more).
    expect(JSON.stringify(row)).not.toContain(body.idNumber);
    expect(JSON.stringify(row)).not.toContain(maskedIdNumber(body.idNumber));
  });

  test('an operator may register; door and auditor keys may not (403), and nothing is stored', async () => {
    expect((await register(residentBody(), keys.operator)).status).toBe(201);
    const before = await dbState(t);
    for (const key of [keys.door, keys.auditor]) expectError(await register(residentBody(), key), 403, 'forbidden');
    expectError(await t.http.post('/v1/residents').send(residentBody()), 401, 'unauthorized');
    expect(await dbState(t)).toEqual(before);
  });

  test('optional fields: no phone, no unit or room, no tags', async () => {
    const { phone: _phone, tags: _tags, ...body } = residentBody({ address: { community: '金杨新村', building: '3号楼' } });
    const res = await register(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ phoneMasked: null, address: { community: '金杨新村', building: '3号楼' }, tags: [] });
    expect(Object.keys(res.body.address).sort()).toEqual(['building', 'community']);
  });

  test.each([
    ['+86 138 0013 8000', '138****8000'],
    ['8613900139000', '139****9000'],
    ['021-12345678', '021-****5678'],
    ['02187654321', '021-****4321'],
  ])('a phone given as %p is normalised and printed masked as %p', async (phone, masked) => {
    const res = await register(residentBody({ phone }));
    expect(res.status).toBe(201);
    expect(res.body.phoneMasked).toBe(masked);
  });

  test('a lower-case x check character is the same number as upper-case X', async () => {
    const id = idNumberEndingInX();
    const res = await register(residentBody({ idNumber: id.toLowerCase(), birthDate: birthDateIn(id) }));
    expect(res.status).toBe(201);
    expect(res.body.idNumberMasked).toBe(maskedIdNumber(id));
    const before = await dbState(t);
    expectError(await register(residentBody({ idNumber: id, birthDate: birthDateIn(id) })), 409, 'resident_exists');
    expect(await dbState(t)).toEqual(before);
  });

  test('the same ID number twice: 409 resident_exists, the first registration untouched, the number not echoed', async () => {
    const first = await registerResident(t);
    const before = await dbState(t);
    const res = await register(residentBody({ idNumber: first.sent.idNumber, name: '李四', phone: '13911112222', tags: ['disabled'] }));
    expectError(res, 409, 'resident_exists');
    expect(res.text).not.toContain(first.sent.idNumber);
    expect(await dbState(t)).toEqual(before);
  });

  const id = idNumber();
  const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const bad: [string, Record<string, unknown>, string][] = [
    ['a wrong check digit', { idNumber: withWrongCheckDigit(id) }, 'idNumber'],
    ['17 characters', { idNumber: id.slice(0, 17) }, 'idNumber'],
    ['19 characters', { idNumber: id + '1' }, 'idNumber'],
    ['a letter inside the number', { idNumber: id.slice(0, 8) + 'A' + id.slice(9) }, 'idNumber'],
    ['an unknown province', { idNumber: idNumber({ region: '990101' }) }, 'idNumber'],
    ['February 30th in the number', { idNumber: idNumber({ birth: '19800230' }), birthDate: '1980-02-30' }, 'idNumber'],
    ['a birth year of 1899', { idNumber: idNumber({ birth: '18991231' }), birthDate: '1899-12-31' }, 'idNumber'],
    ['a birth date in the future', { idNumber: idNumber({ birth: future.replace(/-/g, '') }), birthDate: future }, 'idNumber'],
    ['the number as a JSON number', { idNumber: Number(id.slice(0, 17)) }, 'idNumber'],
    ['no idNumber', { idNumber: undefined }, 'idNumber'],
    ['a birthDate that does not match the number', { birthDate: `${Number(id.slice(6, 10)) + 1}-${id.slice(10, 12)}-${id.slice(12, 14)}` }, 'birthDate'],
    ['a birthDate of the wrong form', { birthDate: birthDateIn(id).replace(/-/g, '/') }, 'birthDate'],
    ['a birthDate without separators', { birthDate: birthDateIn(id).replace(/-/g, '') }, 'birthDate'],
    ['no birthDate', { birthDate: undefined }, 'birthDate'],
    ['a phone that is not one', { phone: '12345' }, 'phone'],
    ['a phone as a number', { phone: 13800138000 }, 'phone'],
    ['no name', { name: undefined }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name as a number', { name: 42 }, 'name'],
    ['an address as a string', { address: '金杨新村 12号楼' }, 'address'],
    ['an address without community', { address: { building: '1' } }, 'community'],
    ['a blank building', { address: { community: 'x', building: ' ' } }, 'building'],
    ['an unknown field inside the address', { address: { community: 'x', building: '1', floor: '3' } }, 'floor'],
    ['an upper-case tag', { tags: ['Dibao'] }, 'tags'],
    ['tags as a string', { tags: 'dibao' }, 'tags'],
    ['a tag twice', { tags: ['dibao', 'dibao'] }, 'tags'],
    ['an unknown field', { idNumberMasked: 'x' }, 'idNumberMasked'],
  ];
  test.each(bad)('%s: 400 validation_failed naming the field, nothing stored, the number not echoed', async (_, change, field) => {
    const body = { ...residentBody({ idNumber: id }), ...change };
    const before = await dbState(t);
    const res = await register(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain(field);
    for (const value of [id, body.idNumber]) if (typeof value === 'string') expect(res.text).not.toContain(value);
    expect(await dbState(t)).toEqual(before);
  });

  test('no address: 400 validation_failed naming it, nothing stored', async () => {
    const { address: _, ...body } = residentBody();
    const before = await dbState(t);
    const res = await register(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.message).toContain('address');
    expect(await dbState(t)).toEqual(before);
  });

  test('an address given as an array: 400 validation_failed, nothing stored', async () => {
    const before = await dbState(t);
    expectError(await register({ ...residentBody(), address: [] }), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('an array instead of an object: 400, nothing stored', async () => {
    const before = await dbState(t);
    expectError(await register([residentBody()]), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });
});

describe('POST /v1/residents/lookup', () => {
  test('finds a resident by exact ID number: 200 {items: [the resident]}', async () => {
    const r = await registerResident(t);
    const { sent, ...view } = r;
    const res = await t.http.post('/v1/residents/lookup').set(bearer(keys.operator)).send({ idNumber: sent.idNumber });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [view] });
    expect(res.text).not.toContain(sent.idNumber);
  });

  test('a lower-case x finds the number registered with X', async () => {
    const id = idNumberEndingInX();
    const r = await registerResident(t, { idNumber: id, birthDate: birthDateIn(id) });
    const res = await t.http.post('/v1/residents/lookup').set(admin).send({ idNumber: id.toLowerCase() });
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([r.id]);
  });

  test('a valid number nobody registered: 200 {items: []}', async () => {
    const res = await t.http.post('/v1/residents/lookup').set(admin).send({ idNumber: idNumber() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  test.each<[string, { idNumber?: unknown; name?: string }]>([
    ['a wrong check digit', { idNumber: withWrongCheckDigit(idNumber()) }],
    ['17 characters', { idNumber: idNumber().slice(0, 17) }],
    ['a number', { idNumber: 12345 }],
    ['nothing', {}],
    ['an unknown field', { idNumber: idNumber(), name: '张秀英' }],
  ])('%s: 400 validation_failed', async (_, body) => {
    const res = await t.http.post('/v1/residents/lookup').set(admin).send(body);
    expectError(res, 400, 'validation_failed');
    if (typeof body.idNumber === 'string') expect(res.text).not.toContain(body.idNumber);
  });

  test('door and auditor keys: 403', async () => {
    for (const key of [keys.door, keys.auditor]) expectError(await t.http.post('/v1/residents/lookup').set(bearer(key)).send({ idNumber: idNumber() }), 403, 'forbidden');
  });
});

describe('GET /v1/residents/:id', () => {
  test('answers with the registration view', async () => {
    const { sent, ...view } = await registerResident(t);
    const res = await t.http.get(`/v1/residents/${view.id}`).set(bearer(keys.operator));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(view);
    expect(res.text).not.toContain(sent.idNumber);
    expect(res.text).not.toContain(sent.phone);
  });

  test('an unknown id: 404 resident_not_found; not a UUID: 400 validation_failed', async () => {
    expectError(await t.http.get(`/v1/residents/${randomUUID()}`).set(admin), 404, 'resident_not_found');
    expectError(await t.http.get('/v1/residents/not-a-uuid').set(admin), 400, 'validation_failed');
  });
});

describe('PATCH /v1/residents/:id', () => {
  const patch = (id: string, body: unknown, key = TEST_ADMIN_KEY) => t.http.patch(`/v1/residents/${id}`).set(bearer(key)).send(body as object);

  test('changes the phone only; everything else stays', async () => {
    const { sent, ...view } = await registerResident(t);
    const res = await patch(view.id, { phone: '13700137000' }, keys.operator);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...view, phoneMasked: '137****7000' });
    expect(res.text).not.toContain('13700137000');
    const row = await t.knex('residents').where({ id: view.id }).first('phone', 'phone_enc', 'phone_hash');
    const pii = t.app.get(ResidentPii);
    expect(row).toEqual({ phone: null, phone_enc: expect.stringMatching(/^v1:test1:/), phone_hash: pii.phoneHash('13700137000') });
    expect(pii.cipher.decrypt(row.phone_enc, `residents.phone/${view.id}`)).toBe('13700137000');
    expect(sent.phone).not.toBe('13700137000');
  });

  test('replaces the address as a whole and the tags as a whole', async () => {
    const { sent: _, ...view } = await registerResident(t);
    const res = await patch(view.id, { address: { community: '陆家嘴', building: '5号楼', room: '1202' }, tags: ['dibao', 'disabled'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...view, address: { community: '陆家嘴', building: '5号楼', room: '1202' }, tags: ['dibao', 'disabled'] });
    expect((await t.http.get(`/v1/residents/${view.id}`).set(admin)).body).toEqual(res.body);
  });

  test('tags may be emptied', async () => {
    const r = await registerResident(t);
    const res = await patch(r.id, { tags: [] });
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual([]);
  });

  test.each([
    ['an empty body', {}],
    ['the name (fixed by the ID card)', { name: '李四' }],
    ['the ID number', { idNumber: idNumber() }],
    ['the birth date', { birthDate: '1990-01-01' }],
    ['a bad phone', { phone: '555' }],
    ['an upper-case tag', { tags: ['DIBAO'] }],
    ['an address without building', { address: { community: 'x' } }],
    ['an unknown field with a good one', { phone: '13700137000', nickname: 'x' }],
  ])('%s: 400 validation_failed, nothing changes', async (_, body) => {
    const r = await registerResident(t);
    const before = await dbState(t);
    const res = await patch(r.id, body);
    expectError(res, 400, 'validation_failed');
    if ('idNumber' in body && typeof body.idNumber === 'string') expect(res.text).not.toContain(body.idNumber);
    expect(await dbState(t)).toEqual(before);
  });

  test('an address given as an array: 400 validation_failed, nothing changes', async () => {
    const r = await registerResident(t);
    const before = await dbState(t);
    expectError(await patch(r.id, { address: [] }), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test.each([
    ['address', { address: null }],
    ['tags', { tags: null }],
  ])('%s: null is refused with 400 validation_failed', async (_, body) => {
    const r = await registerResident(t);
    expectError(await patch(r.id, body), 400, 'validation_failed');
  });

  test('an unknown resident: 404 resident_not_found, nothing changes; not a UUID: 400', async () => {
    const before = await dbState(t);
    expectError(await patch(randomUUID(), { tags: ['dibao'] }), 404, 'resident_not_found');
    expectError(await patch('123', { tags: ['dibao'] }), 400, 'validation_failed');
    expect(await dbState(t)).toEqual(before);
  });

  test('door and auditor keys: 403, nothing changes', async () => {
    const r = await registerResident(t);
    const before = await dbState(t);
    for (const key of [keys.door, keys.auditor]) expectError(await patch(r.id, { tags: ['x'] }, key), 403, 'forbidden');
    expect(await dbState(t)).toEqual(before);
  });
});
