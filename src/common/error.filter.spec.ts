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
