/** The compiled service as a child process: the same runner as bench:payments uses. */
export { ServiceProcess as Service, sleep } from '../payments/service';

export interface HttpAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

/** One JSON request; answers whatever the status, with the wall time from sending to the whole body read. */
export async function call<T = unknown>(baseUrl: string, method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T, ms };
}

/** Like `call`, but anything other than a 2xx is an error. */
export async function ok<T = unknown>(baseUrl: string, method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const a = await call<T>(baseUrl, method, path, key, body, idempotencyKey);
  if (a.status < 200 || a.status >= 300) throw new Error(`${method} ${path} answered ${a.status}: ${JSON.stringify(a.body).slice(0, 500)}`);
  return a.body;
}
