/** A small JSON client for the fixture and the checks; the measured load goes through autocannon instead. */
export class Api {
  constructor(private readonly baseUrl: string) {}

  async post<T>(path: string, key: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return this.call<T>('POST', path, key, body, idempotencyKey);
  }

  async get<T>(path: string, key: string): Promise<T> {
    return this.call<T>('GET', path, key);
  }

  private async call<T>(method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}

/**
 * Runs `work` for every item with at most `limit` in flight, and returns the results in
 * item order. The first failure stops new work and is thrown.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i], i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
