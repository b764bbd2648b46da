import 'reflect-metadata';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodeCursor } from '../src/common/pagination';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { door, doorEvents } from './support/doors';
import { merchantPayments, terminal, type Terminal } from './support/money';
import { expectError, listening, registerResident } from './support/residents';

/**
 * Requests that never reach a handler, or carry values the validators once let through
 * to the database: each gets the contract's error with a code, never a 5xx. Found by
 * the bad-input campaign (test/fuzz); pinned here so the default run keeps them.
 */
let t: TestApp;
let shop: Terminal;
let port: number;
beforeAll(async () => {
  t = await startTestApp();
  await listening(t);
  port = (t.app.getHttpServer().address() as AddressInfo).port;
  shop = await terminal(t);
});
afterAll(() => t.close());

/** Sends raw bytes and returns what came back before the server closed the connection. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('before a route', () => {
  test('bad percent-encoding in the path: 400 validation_failed, not a Fastify code', async () => {
    expectError(await t.http.get('/v1/cards/%ff').set(bearer(TEST_ADMIN_KEY)), 400, 'validation_failed');
  });

  test('a path parameter longer than 200 characters: 414 uri_too_long', async () => {
    expectError(await t.http.get(`/v1/cards/${'a'.repeat(300)}`).set(bearer(TEST_ADMIN_KEY)), 414, 'uri_too_long');
  });

  test('HTTP that does not parse: 400 with a code', async () => {
    const answer = await raw('GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(answer)).toMatchObject({ statusCode: 400, code: 'validation_failed' });
  });

  test('headers over 16 KiB: 431 headers_too_large', async () => {
    const answer = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(answer)).toMatchObject({ statusCode: 431, code: 'headers_too_large' });
  });

  test('an Expect header other than 100-continue: 417 with a code', async () => {
    const answer = await raw('GET /health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 417 /);
    expect(bodyOf(answer)).toMatchObject({ statusCode: 417, code: 'expectation_failed' });
  });
});

describe('values the validators let through once', () => {
  test.each([
    ['a year for an instant', { at: '2026', id: '00000000-0000-4000-8000-000000000000' }],
    ['year 0, which Date writes and PostgreSQL refuses', { at: '0000-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }],
    ['a negative year', { at: '-271821-04-20T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }],
    ['a day that does not exist', { at: '2026-02-30T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }],
    ['36 dashes for an id', { at: '2026-12-01T00:00:00.000Z', id: '-'.repeat(36) }],
  ])("a merchant's payment list with a forged cursor (%s): 400", async (_, cursor) => {
    expectError(await merchantPayments(t.http, shop.key, shop.merchant.id, { cursor: encodeCursor(cursor) }), 400, 'validation_failed');
  });

  test.each(['2026-W49-1', '2026-335', '20261201T000000Z'])('door events to=%s (ISO 8601 that Date cannot read): 400', async (to) => {
    const d = await door(t);
    expectError(await doorEvents(t, d.id, { to }), 400, 'validation_failed');
  });

  test('a personal-data read with a NUL in the query is answered as without it, and is on the audit trail', async () => {
    const resident = await registerResident(t);
    const res = await t.http.get(`/v1/residents/${resident.id}?x=%00`).set(bearer(TEST_ADMIN_KEY));
    expect(res.status).not.toBe(503);
    expect(res.status).toBeLessThan(500);
    const rows = await t.knex('audit_events').where({ route: '/v1/residents/:id', method: 'GET' }).select('id');
    expect(rows.length).toBeGreaterThan(0);
  });
});
