import { Logger } from '@nestjs/common';
import { toErrorBody } from './error.filter';

describe('toErrorBody on an unexpected error', () => {
  const logged: unknown[] = [];
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void logged.push(args)));
  afterAll(() => jest.restoreAllMocks());

  test('answers 500 internal_error and logs no row values a database error carries', () => {
    const err = Object.assign(new Error('null value in column "community" of relation "residents" violates not-null constraint'), {
      code: '23502',
      table: 'residents',
      column: 'community',
      detail: 'Failing row contains (…, 张秀英, 13612340987, …)',
      params: ['13612340987', '110105194912310021'],
      query: 'insert into residents ...',
    });
    expect(toErrorBody(err)).toEqual({ statusCode: 500, code: 'internal_error', message: 'internal error' });
    const text = JSON.stringify(logged);
    expect(text).toContain('23502');
    expect(text).toContain('community');
    expect(text).not.toContain('13612340987');
    expect(text).not.toContain('110105194912310021');
  });

  test('a client error is not logged as a failure', () => {
    logged.length = 0;
    expect(toErrorBody(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }))).toMatchObject({ statusCode: 415, code: 'unsupported_media_type' });
    expect(logged).toHaveLength(0);
  });
});

describe('toErrorBody when the database is unavailable', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  test.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['the server shut down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['the server is starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection exception', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['the pool cannot get a connection', new Error('Knex: Timeout acquiring a connection. The pool is probably full.')],
    ['the connection ended mid-query', new Error('Connection terminated unexpectedly')],
  ])('%s: 503 service_unavailable, so a terminal retries with its key', (_, err) => {
    expect(toErrorBody(err)).toEqual({ statusCode: 503, code: 'service_unavailable', message: expect.stringMatching(/retry/) });
  });

  test('other database errors stay 500', () => {
    expect(toErrorBody(Object.assign(new Error('deadlock detected'), { code: '40P01' })).statusCode).toBe(500);
  });
});
