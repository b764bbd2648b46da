import { ApiClient, NetworkError, type ApiAnswer } from './http';
import { retryablePayment } from './modes/pay';
import { GaveUp, retrying, type RetryPolicy } from './retry';

/** A clock that only moves when the code under test sleeps. */
function fakeTime(): Pick<RetryPolicy, 'now' | 'sleep'> & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

const answer = (status: number, body: object = {}): ApiAnswer<unknown> => ({ status, body, replayed: false });

describe('retrying', () => {
  test('the first final outcome is returned with the number of attempts', async () => {
    const time = fakeTime();
    const outcomes = [new NetworkError('reset'), answer(503), answer(201, { id: 'p1' })];
    const attempt = jest.fn(async () => {
      const next = outcomes.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
    const result = await retrying(attempt, retryablePayment, { retryForMs: 60_000, delaysMs: [200, 500], ...time });
    expect(result).toEqual({ value: answer(201, { id: 'p1' }), attempts: 3 });
    expect(time.slept).toEqual([200, 500]);
  });

  test('the last delay repeats until the time is up; then GaveUp with the last outcome', async () => {
    const time = fakeTime();
    const err = new NetworkError('cannot reach the service (ECONNREFUSED)');
    const promise = retrying(() => Promise.reject(err), retryablePayment, { retryForMs: 5000, delaysMs: [200, 500, 1000], ...time });
    // Attempts at 0, 200, 700, 1700, 2700, 3700 and 4700 ms; the next would start at 5700.
    await expect(promise).rejects.toEqual(expect.objectContaining({ name: 'GaveUp', attempts: 7, last: err }));
    expect(time.slept).toEqual([200, 500, 1000, 1000, 1000, 1000]);
  });

  test('an outcome that is final on the first attempt is not retried, even an error', async () => {
    const time = fakeTime();
    const bug = new TypeError('bug');
    await expect(retrying(() => Promise.reject(bug), retryablePayment, { retryForMs: 5000, delaysMs: [200], ...time })).rejects.toBe(bug);
    expect(time.slept).toEqual([]);
  });

  test('an aborted signal stops before the next attempt', async () => {
    const time = fakeTime();
    const abort = new AbortController();
    const attempt = jest.fn(async () => {
      abort.abort();
      throw new NetworkError('reset');
    });
    await expect(retrying(attempt, retryablePayment, { retryForMs: 60_000, delaysMs: [200], signal: abort.signal, ...time })).rejects.toBeInstanceOf(GaveUp);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  test('retryForMs 0: one attempt only', async () => {
    const time = fakeTime();
    await expect(retrying(() => Promise.reject(new NetworkError('x')), retryablePayment, { retryForMs: 0, delaysMs: [200], ...time })).rejects.toEqual(expect.objectContaining({ attempts: 1 }));
  });
});

describe('retryablePayment: only outcomes the same Idempotency-Key can improve', () => {
  test.each([
    [{ ok: false as const, error: new NetworkError('timeout') }, true],
    [{ ok: true as const, value: answer(502) }, true],
    [{ ok: true as const, value: answer(500, { code: 'internal_error' }) }, true],
    [{ ok: true as const, value: answer(429) }, true],
    [{ ok: true as const, value: answer(409, { code: 'idempotency_key_in_progress' }) }, true],
    [{ ok: true as const, value: answer(201) }, false],
    [{ ok: true as const, value: answer(402, { code: 'insufficient_funds' }) }, false],
    [{ ok: true as const, value: answer(409, { code: 'card_not_active' }) }, false],
    [{ ok: true as const, value: answer(422, { code: 'idempotency_key_reused' }) }, false],
    [{ ok: true as const, value: answer(401) }, false],
    [{ ok: false as const, error: new TypeError('bug') }, false],
  ])('%p → %p', (outcome, retry) => {
    expect(retryablePayment(outcome)).toBe(retry);
  });
});

describe('ApiClient', () => {
  function client(fetchImpl: typeof fetch, timeoutMs = 1000) {
    return new ApiClient({ baseUrl: 'http://card.test:3000', key: 'cck_till', timeoutMs, fetchImpl });
  }

  test('sends the key, the JSON body and the Idempotency-Key; reads status, body and the replay header', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), init });
      return new Response(JSON.stringify({ id: 'p1' }), { status: 201, headers: { 'Idempotent-Replayed': 'true' } });
    }) as unknown as typeof fetch;
    const res = await client(fetchImpl).call('POST', '/v1/payments', { body: { uid: '04A1B2C3', amount: '1.00' }, idempotencyKey: 'k-1' });
    expect(res).toEqual({ status: 201, body: { id: 'p1' }, replayed: true });
    expect(seen[0].url).toBe('http://card.test:3000/v1/payments');
    expect(seen[0].init).toMatchObject({
      method: 'POST',
      body: '{"uid":"04A1B2C3","amount":"1.00"}',
      headers: { Authorization: 'Bearer cck_till', 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1', Accept: 'application/json' },
    });
  });

  test('an error status is an answer, not an exception', async () => {
    const fetchImpl = (async () => new Response('{"statusCode":402,"code":"insufficient_funds","message":"short"}', { status: 402 })) as unknown as typeof fetch;
    expect(await client(fetchImpl).call('POST', '/v1/payments', { body: {} })).toEqual({ status: 402, body: { statusCode: 402, code: 'insufficient_funds', message: 'short' }, replayed: false });
  });

  test('no answer within the timeout: NetworkError', async () => {
    const fetchImpl = ((_url: URL, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;
    await expect(client(fetchImpl, 20).call('GET', '/v1/cards')).rejects.toEqual(new NetworkError('no answer within 20 ms'));
  });

  test('a refused connection: NetworkError naming the cause', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as unknown as typeof fetch;
    await expect(client(fetchImpl).call('GET', '/v1/cards')).rejects.toEqual(new NetworkError('cannot reach the service (ECONNREFUSED)'));
  });

  test('bytes: the exact body and headers; no key when asked not to send one', async () => {
    let headers: Record<string, string> = {};
    const fetchImpl = (async (_url: URL, init: RequestInit) => {
      headers = init.headers as Record<string, string>;
      return new Response('{"a": 1}', { status: 200, headers: { Signature: 'c2ln' } });
    }) as unknown as typeof fetch;
    const res = await client(fetchImpl).bytes('/v1/access/public-key', { auth: false });
    expect(res.bytes.toString()).toBe('{"a": 1}');
    expect(res.headers.get('signature')).toBe('c2ln');
    expect(headers.Authorization).toBeUndefined();
  });
});
