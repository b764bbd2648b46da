import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { apiKey } from './support/factories';
import { birthDateIn, cardUid, fundCash, idNumber, idNumberEndingInX, residentBody, withWrongCheckDigit } from './support/residents';

/**
 * Full ID numbers and full phone numbers never leave the service: not in a response,
 * not in an error message, not in a log line. The app runs at log level trace with its
 * log captured; a whole card lifecycle plus a set of refused requests is run; then the
 * captured text and every response are searched for the numbers.
 */
let t: TestApp;
let log = '';
const responses: string[] = [];

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk, _enc, done) {
      log += String(chunk);
      done();
    },
  });
  t = await startTestApp({ config: { logLevel: 'trace' }, logStream });
});
afterAll(async () => {
  await t?.close();
});

type Call = { status: number; text: string; body: Record<string, unknown> };
/** Sends a request and keeps its answer for the search. */
async function call(req: PromiseLike<Call>, status: number): Promise<Call> {
  const res = await req;
  responses.push(res.text);
  expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.anything() });
  return res;
}

/** Every spelling of a number someone could search a log for. */
const spellings = (...values: string[]) => [...new Set(values.flatMap((v) => [v, v.toLowerCase(), v.toUpperCase()]))];

/** The text of every row of every table, to show a number is stored nowhere. */
async function wholeDatabase(): Promise<string> {
  const { rows } = await t.knex.raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  let text = '';
  for (const { table_name } of rows as { table_name: string }[]) {
    const dump = await t.knex.raw(`SELECT coalesce(json_agg(x)::text, '') AS t FROM "${table_name}" x`);
    text += dump.rows[0].t;
  }
  return text;
}

test('a full lifecycle and a set of refused requests leave no full ID number or phone number in the log or any response', async () => {
  const admin = bearer(TEST_ADMIN_KEY);
  const operator = bearer((await apiKey(t, 'operator')).key);
  const id = idNumberEndingInX();
  const phone = '13812345678';
  const newPhone = '13987654321';
  const body = residentBody({ idNumber: id.toLowerCase(), birthDate: birthDateIn(id), phone: '+86 138 1234 5678' });
  const logAtStart = log.length;

  // The lifecycle.
  const resident = (await call(t.http.post('/v1/residents').set(operator).send(body), 201)).body;
  await call(t.http.post('/v1/residents/lookup').set(operator).send({ idNumber: id }), 200);
  await call(t.http.get(`/v1/residents/${resident.id}`).set(operator), 200);
  await call(t.http.patch(`/v1/residents/${resident.id}`).set(operator).send({ phone: newPhone, tags: ['dibao', 'disabled'] }), 200);
  const card = (await call(t.http.post('/v1/cards').set(operator).send({ residentId: resident.id, uid: cardUid() }), 201)).body;
  await fundCash(t, resident.id as string, '25.00');
  await call(t.http.post(`/v1/cards/${card.id}/lock`).set(operator).send({ reason: 'lost' }), 200);
  await call(t.http.post(`/v1/cards/${card.id}/unlock`).set(operator).send({}), 200);
  await call(t.http.post(`/v1/cards/${card.id}/lock`).set(operator).send({ reason: 'stolen' }), 200);
  const fresh = (await call(t.http.post(`/v1/cards/${card.id}/replace`).set(operator).send({ uid: cardUid(), reason: 'stolen' }), 201)).body;
  await call(t.http.get(`/v1/cards/${fresh.id}/balance`).set(operator), 200);
  await call(t.http.get(`/v1/cards/${fresh.id}/transactions`).set(operator), 200);
  await call(t.http.get(`/v1/cards/${card.id}/history`).set(operator), 200);
  await call(t.http.get(`/v1/residents/${resident.id}/cards`).set(operator), 200);
  const closed = await call(t.http.post(`/v1/cards/${fresh.id}/close`).set(operator).set('Idempotency-Key', randomUUID()).send({}), 200);
  expect(closed.body.refunded).toBe('25.00');

  // Refused requests that carry the numbers.
  const other = idNumber();
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: id }), 409);
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: id.slice(0, 17) }), 400);
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: withWrongCheckDigit(other), birthDate: birthDateIn(other) }), 400);
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: other, birthDate: '1901-01-01', phone }), 400);
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: other, birthDate: birthDateIn(other), phone: `${phone}9` }), 400);
  await call(t.http.post('/v1/residents').set(admin).send({ ...body, idNumber: Number(other.slice(0, 15)) }), 400);
  await call(t.http.post('/v1/residents/lookup').set(admin).send({ idNumber: withWrongCheckDigit(id) }), 400);
  await call(t.http.post('/v1/residents/lookup').set(admin).send({ idNumber: id, phone }), 400);
  await call(t.http.patch(`/v1/residents/${resident.id}`).set(admin).send({ phone: `${newPhone}0` }), 400);
  await call(t.http.patch(`/v1/residents/${resident.id}`).set(admin).send({ idNumber: id, phone: newPhone }), 400);

  // The log is being written (so the search below can find something), and request lines are in it.
  const captured = log.slice(logAtStart);
  expect(captured.length).toBeGreaterThan(1000);
  expect(captured).toContain('/v1/residents/lookup');
  expect(captured).toContain(`/v1/cards/${card.id}/replace`);
  // The masked forms may appear; the full numbers may not, in any spelling.
  const secrets = spellings(id, other, withWrongCheckDigit(id), withWrongCheckDigit(other), phone, newPhone, `${phone}9`, `${newPhone}0`, '+86 138 1234 5678');
  for (const secret of secrets) {
    expect({ secret, inLog: captured.includes(secret) }).toEqual({ secret, inLog: false });
    for (const text of responses) expect({ secret, inResponse: text.includes(secret) }).toEqual({ secret, inResponse: false });
  }
  expect(responses.join('\n')).toContain(`${id.slice(0, 6)}********${id.slice(14)}`);

  // Stored only encrypted and as keyed hashes: the ID numbers and phones are in no table, nor the ID number's mask.
  const stored = await wholeDatabase();
  expect(stored).toContain(resident.id as string);
  for (const secret of spellings(id, other, phone, newPhone, `${id.slice(0, 6)}********${id.slice(14)}`)) {
    expect({ secret, stored: stored.includes(secret) }).toEqual({ secret, stored: false });
  }
});

test('an address that is not an object is refused before it reaches the database, and the phone stays out of the log', async () => {
  const phone = '13612340987';
  const before = log.length;
  const res = await t.http.post('/v1/residents').set(bearer(TEST_ADMIN_KEY)).send({ ...residentBody({ phone }), address: [] });
  expect(res.text).not.toContain(phone);
  expect(log.slice(before)).not.toContain(phone);
  expect(res.status).toBeLessThan(500);
});
