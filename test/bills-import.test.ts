import { randomUUID } from 'node:crypto';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { createBill, importCsv, read, reference, state } from './support/bills';
import { apiKey } from './support/factories';
import { holder, topUp } from './support/money';
import { expectError, registerResident } from './support/residents';

/**
 * POST /v1/bills/import: a utility's CSV file of bills, all or nothing, with every
 * problem reported by line. Also: text/csv is read on this route only.
 */
let t: TestApp;
let operator: string;
let residents: string[];

beforeAll(async () => {
  t = await startTestApp();
  operator = (await apiKey(t, 'operator')).key;
  residents = [];
  for (let i = 0; i < 3; i++) residents.push((await registerResident(t)).id);
});
afterAll(async () => {
  await t?.close();
});

const HEADER = 'residentId,payee,amount,dueDate,reference';
const csv = (...lines: string[]) => [HEADER, ...lines].join('\n') + '\n';
const line = (residentId: string, payee: string, amount: string, dueDate: string, ref: string) => [residentId, payee, amount, dueDate, ref].join(',');

/** The import_failed body: the contract's error fields plus the per-line report. */
function expectImportFailed(res: { status: number; body: any }, errors: { line: number; field?: string; code: string }[]): void {
  expect(res.status).toBe(422);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'errors', 'message', 'statusCode']);
  expect(res.body).toMatchObject({ statusCode: 422, code: 'import_failed', message: expect.any(String) });
  expect(res.body.errors.map((e: { line: number; field?: string; code: string }) => ({ line: e.line, ...(e.field ? { field: e.field } : {}), code: e.code }))).toEqual(errors);
  for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
}

describe('a good file', () => {
  test('201 {created, items}: every bill stored, in the file order, unpaid', async () => {
    const refs = [reference('IMP'), reference('IMP'), reference('IMP')];
    const res = await importCsv(
      t.http,
      csv(
        line(residents[0], 'water', '86.4', '2099-12-15', refs[0]),
        line(residents[1], 'electricity', '120.00', '2099-12-20', refs[1]),
        line(residents[0], 'property', '1500', '2099-12-31', refs[2]),
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(3);
    expect(res.body.items.map((b: { reference: string; amount: string; payee: string; residentId: string; status: string }) => [b.reference, b.amount, b.payee, b.residentId, b.status])).toEqual([
      [refs[0], '86.40', 'water', residents[0], 'unpaid'],
      [refs[1], '120.00', 'electricity', residents[1], 'unpaid'],
      [refs[2], '1500.00', 'property', residents[0], 'unpaid'],
    ]);
    for (const item of res.body.items) expect(await read(t.http, `/v1/bills/${item.id}`)).toEqual(item);
  });

  test('what spreadsheets write: a byte order mark, CRLF, quoted fields, quotes and commas inside quotes, blank lines, no final newline', async () => {
    const refs = [`"Q,${randomUUID()}"`, `引号""${randomUUID()}""`];
    const body = `\uFEFF${HEADER}\r\n"${residents[2]}","gas","12.30","2099-01-31",${refs[0]}\r\n\r\n${residents[2]},water,7.00,2099-02-28,"${refs[1]}"`;
    const res = await importCsv(t.http, body, { type: 'text/csv; charset=utf-8' });
    expect(res.status).toBe(201);
    expect(res.body.items.map((b: { reference: string }) => b.reference)).toEqual([refs[0].slice(1, -1), refs[1].replace(/""/g, '"')]);
  });

  test('the columns may come in any order', async () => {
    const ref = reference('ORDER');
    const res = await importCsv(t.http, `reference,dueDate,amount,payee,residentId\n${ref},2099-03-01,5.50,gas,${residents[1]}\n`);
    expect(res.status).toBe(201);
    expect(res.body.items[0]).toMatchObject({ reference: ref, dueDate: '2099-03-01', amount: '5.50', payee: 'gas', residentId: residents[1] });
  });

  test('imported bills are paid like any other', async () => {
    const h = await holder(t, '100.00');
    const res = await importCsv(t.http, csv(line(h.residentId, 'water', '30.00', '2099-12-15', reference())));
    const pay = await t.http.post(`/v1/bills/${res.body.items[0].id}/payments`).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({ cardId: h.card.id });
    expect(pay.status).toBe(201);
    expect(pay.body.balance).toEqual({ cash: '70.00' });
  });

  test('10,000 bills, the most a file may hold, in one go', async () => {
    const prefix = reference('BULK');
    const lines = Array.from({ length: 10_000 }, (_, i) => line(residents[i % 3], 'electricity', `${1 + (i % 50)}.25`, '2099-06-30', `${prefix}-${i}`));
    const res = await importCsv(t.http, csv(...lines));
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(10_000);
    expect(Number((await t.knex('bills').where('reference', 'like', `${prefix}-%`).count<{ n: string }[]>('* as n'))[0].n)).toBe(10_000);
  }, 120_000);
});

describe('a bad file: 422 import_failed listing every problem by line; nothing is created', () => {
  test('one bad line among good ones refuses the whole file', async () => {
    const before = await state(t);
    const res = await importCsv(t.http, csv(line(residents[0], 'water', '10.00', '2099-12-15', reference()), line(residents[0], 'water', '-10.00', '2099-12-15', reference())));
    expectImportFailed(res, [{ line: 3, field: 'amount', code: 'validation_failed' }]);
    expect(res.body.errors[0].message).toContain('amount');
    expect(await state(t)).toEqual(before);
  });

  test('every kind of problem at once, in line order', async () => {
    const existing = await createBill(t, residents[0]);
    const dup = reference('DUP');
    const before = await state(t);
    const res = await importCsv(
      t.http,
      csv(
        line(residents[0], 'water', '10.00', '2099-12-15', reference()), // 2: fine
        line(residents[0], 'telecom', '10.001', '2099-02-30', reference()), // 3: three bad fields
        line(randomUUID(), 'gas', '5.00', '2099-12-15', reference()), // 4: unknown resident
        line(residents[1], 'gas', '5.00', '2099-12-15', existing.reference), // 5: reference already in the database
        line(residents[1], 'gas', '5.00', '2099-12-15', dup), // 6: fine
        line(residents[2], 'gas', '5.00', '2099-12-15', dup), // 7: same reference as line 6
        `${residents[2]},gas,5.00`, // 8: too few fields
        line('not-a-uuid', 'water', '1e3', '15/12/2099', ' padded'), // 9: bad resident id, amount, date, reference
        line(randomUUID(), 'water', '1.00', '2099-12-15', existing.reference), // 10: unknown resident and existing reference
        `${line(residents[2], 'gas', '5.00', '2099-12-15', reference())},extra`, // 11: too many fields
      ),
    );
    expectImportFailed(res, [
      { line: 3, field: 'payee', code: 'validation_failed' },
      { line: 3, field: 'amount', code: 'validation_failed' },
      { line: 3, field: 'dueDate', code: 'validation_failed' },
      { line: 4, field: 'residentId', code: 'resident_not_found' },
      { line: 5, field: 'reference', code: 'bill_exists' },
      { line: 7, field: 'reference', code: 'bill_exists' },
      { line: 8, code: 'validation_failed' },
      { line: 9, field: 'residentId', code: 'validation_failed' },
      { line: 9, field: 'amount', code: 'validation_failed' },
      { line: 9, field: 'dueDate', code: 'validation_failed' },
      { line: 9, field: 'reference', code: 'validation_failed' },
      { line: 10, field: 'residentId', code: 'resident_not_found' },
      { line: 10, field: 'reference', code: 'bill_exists' },
      { line: 11, code: 'validation_failed' },
    ]);
    expect(res.body.errors.find((e: { line: number }) => e.line === 7).message).toContain('line 6');
    expect(res.body.message).toContain('14');
    expect(await state(t)).toEqual(before);
  });

  test('amounts are strings as in JSON: no exponent, sign, currency sign or thousands separator', async () => {
    const before = await state(t);
    const amounts = ['1e2', '+1.00', '¥1.00', '"1,000.00"', '0', '0.00', '', ' 1.00', '12345678901'];
    const res = await importCsv(t.http, csv(...amounts.map((a) => line(residents[0], 'water', a, '2099-12-15', reference()))));
    expectImportFailed(
      res,
      amounts.map((_, i) => ({ line: i + 2, field: 'amount', code: 'validation_failed' })),
    );
    expect(await state(t)).toEqual(before);
  });

  test.each([
    ['a missing column', 'residentId,payee,amount,dueDate'],
    ['an unknown column', `${HEADER},note`],
    ['a repeated column', 'residentId,payee,amount,dueDate,dueDate'],
    ['columns in another case', 'residentid,payee,amount,duedate,reference'],
    ['no header at all (a bill line first)', `${randomUUID()},water,1.00,2099-12-15,REF-1`],
  ])('%s in the header: invalid_header on line 1', async (_, header) => {
    const before = await state(t);
    expectImportFailed(await importCsv(t.http, `${header}\n${line(residents[0], 'water', '1.00', '2099-12-15', reference())}\n`), [{ line: 1, code: 'invalid_header' }]);
    expect(await state(t)).toEqual(before);
  });

  test('an empty body: invalid_header; a header alone: no bills (line 2)', async () => {
    expectImportFailed(await importCsv(t.http, ''), [{ line: 1, code: 'invalid_header' }]);
    expectImportFailed(await importCsv(t.http, `${HEADER}\n`), [{ line: 2, code: 'validation_failed' }]);
    expectImportFailed(await importCsv(t.http, `${HEADER}\n\n\n`), [{ line: 2, code: 'validation_failed' }]);
  });

  test('broken CSV: invalid_csv at the line where it breaks', async () => {
    const good = line(residents[0], 'water', '1.00', '2099-12-15', reference());
    expectImportFailed(await importCsv(t.http, csv(good, `${residents[0]},water,1.00,2099-12-15,"unterminated`)), [{ line: 3, code: 'invalid_csv' }]);
    expectImportFailed(await importCsv(t.http, csv(good, good.replace('water', 'wa"ter'))), [{ line: 3, code: 'invalid_csv' }]);
    expectImportFailed(await importCsv(t.http, csv(good, `${residents[0]},"water"x,1.00,2099-12-15,R`)), [{ line: 3, code: 'invalid_csv' }]);
  });

  test('a line break inside quotes is read, and refused as a control character in the reference', async () => {
    const res = await importCsv(t.http, csv(`${residents[0]},water,1.00,2099-12-15,"two\nlines"`, line(residents[0], 'water', '-1', '2099-12-15', reference())));
    // The quoted field spans lines 2 and 3, so the next record starts on line 4.
    expectImportFailed(res, [
      { line: 2, field: 'reference', code: 'validation_failed' },
      { line: 4, field: 'amount', code: 'validation_failed' },
    ]);
  });

  test('10,001 bills: too_many_lines, nothing created', async () => {
    const before = await state(t);
    const lines = Array.from({ length: 10_001 }, (_, i) => line(residents[0], 'water', '1.00', '2099-12-15', `TOO-MANY-${randomUUID()}-${i}`));
    expectImportFailed(await importCsv(t.http, csv(...lines)), [{ line: 10_002, code: 'too_many_lines' }]);
    expect(await state(t)).toEqual(before);
  }, 60_000);

  test('a file full of bad lines lists the first 1,000 problems and counts them all in the message', async () => {
    const lines = Array.from({ length: 1500 }, () => line(residents[0], 'water', '-1', '2099-12-15', reference()));
    const res = await importCsv(t.http, csv(...lines));
    expect(res.status).toBe(422);
    expect(res.body.errors).toHaveLength(1000);
    expect(res.body.errors[999].line).toBe(1001);
    expect(res.body.message).toContain('1500');
  }, 60_000);
});

describe('the body', () => {
  test('over 5 MiB: 413 payload_too_large, nothing created', async () => {
    const before = await state(t);
    const lines = Array.from({ length: 9_000 }, () => line(residents[0], 'water', '1.00', '2099-12-15', `R${'x'.repeat(62)}`));
    const body = csv(...lines);
    const padded = body + '\n'.repeat(5 * 1024 * 1024 + 1 - Buffer.byteLength(body));
    expectError(await importCsv(t.http, padded), 413, 'payload_too_large');
    expect(await state(t)).toEqual(before);
  }, 60_000);

  test('JSON, or no body at all: 415 unsupported_media_type', async () => {
    const before = await state(t);
    const json = await t.http.post('/v1/bills/import').set(bearer(TEST_ADMIN_KEY)).send({ csv: csv(line(residents[0], 'water', '1.00', '2099-12-15', reference())) });
    expectError(json, 415, 'unsupported_media_type');
    expectError(await t.http.post('/v1/bills/import').set(bearer(TEST_ADMIN_KEY)), 415, 'unsupported_media_type');
    expectError(await importCsv(t.http, csv(line(residents[0], 'water', '1.00', '2099-12-15', reference())), { type: 'text/plain' }), 415, 'unsupported_media_type');
    expect(await state(t)).toEqual(before);
  });

  test('a charset other than UTF-8: 415; bytes that are not UTF-8: 400 validation_failed', async () => {
    const body = csv(line(residents[0], 'water', '1.00', '2099-12-15', reference()));
    expectError(await importCsv(t.http, body, { type: 'text/csv; charset=gbk' }), 415, 'unsupported_media_type');
    const gbk = Buffer.concat([Buffer.from(body.trimEnd()), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from('\n')]); // 你好 in GBK
    expectError(await importCsv(t.http, gbk), 400, 'validation_failed');
  });

  test('an operator may not import (403), and without a key the answer is 401', async () => {
    const body = csv(line(residents[0], 'water', '1.00', '2099-12-15', reference()));
    const before = await state(t);
    expectError(await importCsv(t.http, body, { key: operator }), 403, 'forbidden');
    expectError(await t.http.post('/v1/bills/import').set('Content-Type', 'text/csv').send(body), 401, 'unauthorized');
    expect(await state(t)).toEqual(before);
  });
});

describe('text/csv on every other route', () => {
  test.each([
    ['POST /v1/bills', (h: { residentId: string; cardId: string }) => ({ path: '/v1/bills', body: `${HEADER}\n${line(h.residentId, 'water', '1.00', '2099-12-15', 'R')}\n` })],
    ['POST /v1/top-ups', (h: { residentId: string; cardId: string }) => ({ path: '/v1/top-ups', body: `cardId,amount,method\n${h.cardId},10.00,cash\n` })],
    ['POST /v1/residents', () => ({ path: '/v1/residents', body: 'name\nx\n' })],
  ])('%s: 415 unsupported_media_type, nothing stored or moved', async (_, request) => {
    const h = await holder(t, '1.00');
    const { path, body } = request({ residentId: h.residentId, cardId: h.card.id });
    const before = await state(t);
    const res = await t.http.post(path).set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).set('Content-Type', 'text/csv').send(body);
    expectError(res, 415, 'unsupported_media_type');
    expect(await state(t)).toEqual(before);
    // JSON still works there.
    expect((await topUp(t.http, { cardId: h.card.id, amount: '1.00', method: 'cash' })).status).toBe(201);
  });

  test('an unknown route: 404 not_found, as for any other body', async () => {
    expectError(await t.http.post('/v1/no-such-thing').set(bearer(TEST_ADMIN_KEY)).set('Content-Type', 'text/csv').send('a,b\n'), 404, 'not_found');
  });

  test('a large text/csv body to another route is refused without reading it: 415, not 413', async () => {
    const res = await t.http.post('/v1/top-ups').set(bearer(TEST_ADMIN_KEY)).set('Content-Type', 'text/csv').send('x'.repeat(1024 * 1024));
    expectError(res, 415, 'unsupported_media_type');
  });
});
