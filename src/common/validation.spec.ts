import { IsString } from 'class-validator';
import { ValidationFailed } from './domain-error';
import { idempotentRequest } from './idempotency-key.decorator';
import { createValidationPipe, MAX_NESTING, nestedDeeperThan } from './validation';

class NameDto {
  @IsString()
  name: string;
}

const deepArray = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n));
const deepObject = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));

describe('bodies nested thousands deep (a 64 KiB body holds 30,000 levels)', () => {
  test('nestedDeeperThan counts levels without recursion', () => {
    expect(nestedDeeperThan({ a: { b: [1, ['x']] } }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: { b: [1, ['x']] } }, 2)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan(deepArray(30_000), MAX_NESTING)).toBe(true);
    expect(nestedDeeperThan(deepObject(10_000), MAX_NESTING)).toBe(true);
  });

  test('the validation pipe refuses them as bad input instead of overflowing the stack', async () => {
    const pipe = createValidationPipe();
    for (const deep of [deepArray(20_000), deepObject(10_000)]) {
      await expect(pipe.transform({ name: deep }, { type: 'body', metatype: NameDto })).rejects.toBeInstanceOf(ValidationFailed);
      await expect(pipe.transform(deep, { type: 'body', metatype: NameDto })).rejects.toBeInstanceOf(ValidationFailed);
    }
    await expect(pipe.transform({ name: 'x' }, { type: 'body', metatype: NameDto })).resolves.toEqual({ name: 'x' });
  });

  test("the Idempotency-Key fingerprint (taken before the body is validated) refuses them too", () => {
    const principal = { keyId: '00000000-0000-4000-8000-000000000000', role: 'admin', name: 'test' } as Parameters<typeof idempotentRequest>[0];
    const what = (body: unknown) => ({ method: 'POST', route: '/v1/top-ups', params: {}, body });
    expect(() => idempotentRequest(principal, 'k-1', what({ cardId: deepArray(20_000) }))).toThrow(ValidationFailed);
    expect(idempotentRequest(principal, 'k-1', what({ cardId: 'x' })).fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('uuidParam', () => {
  test('a path id comes out in lower case, as the database prints it; a malformed one is bad input', async () => {
    const { uuidParam } = await import('./uuid.param');
    const meta = { type: 'param' as const, data: 'id' };
    await expect(uuidParam.transform('2D38B053-76E1-4717-89F7-F340538A914A', meta)).resolves.toBe('2d38b053-76e1-4717-89f7-f340538a914a');
    await expect(uuidParam.transform('2d38b053-76e1-4717-89f7-f340538a914a\u0000', meta)).rejects.toBeInstanceOf(ValidationFailed);
  });
});
