/** Talking to the service: fetch with a deadline per request, the API key, and errors kept apart from answers. */

/** The request never got an answer: refused, reset, or past its deadline. It may still have been executed. */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  /** Idempotent-Replayed: true: the service answered from a request it had already executed. */
  replayed: boolean;
}

export interface ApiClientOptions {
  baseUrl: string;
  key: string;
  timeoutMs: number;
  fetchImpl?: typeof fetch;
}

export class ApiClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ApiClientOptions) {
    this.fetch = opts.fetchImpl ?? fetch;
  }

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  /** Any HTTP status is an answer, returned; only a missing answer throws (NetworkError). */
  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; idempotencyKey?: string; timeoutMs?: number; auth?: boolean } = {},
  ): Promise<ApiAnswer<T>> {
    const res = await this.send(method, path, init);
    const text = await this.read(res, () => res.text());
    let body: unknown = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { message: text.slice(0, 200) };
      }
    }
    return { status: res.status, body: body as T, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** The exact bytes of an answer, for bodies whose signature covers them. */
  async bytes(path: string, init: { timeoutMs?: number; auth?: boolean } = {}): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
    const res = await this.send('GET', path, init);
    const bytes = Buffer.from(await this.read(res, () => res.arrayBuffer()));
    return { status: res.status, bytes, headers: res.headers };
  }

  private async send(method: string, path: string, init: { body?: unknown; idempotencyKey?: string; timeoutMs?: number; auth?: boolean }): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (init.auth !== false) headers.Authorization = `Bearer ${this.opts.key}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (init.idempotencyKey) headers['Idempotency-Key'] = init.idempotencyKey;
    const timeoutMs = init.timeoutMs ?? this.opts.timeoutMs;
    try {
      return await this.fetch(new URL(path, this.opts.baseUrl), {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw networkError(err, timeoutMs);
    }
  }

  /** A connection cut while the body streams in is as much a missing answer as one cut before the headers. */
  private async read<T>(res: Response, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw networkError(err, this.opts.timeoutMs);
    }
  }
}

function networkError(err: unknown, timeoutMs: number): NetworkError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new NetworkError(`no answer within ${timeoutMs} ms`, { cause: err });
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new NetworkError(`cannot reach the service (${detail})`, { cause: err });
}

/** The `code` of an error answer, or undefined. */
export function errorCode(answer: ApiAnswer<unknown>): string | undefined {
  const body = answer.body as { code?: unknown } | null;
  return body && typeof body.code === 'string' ? body.code : undefined;
}

export function errorMessage(answer: ApiAnswer<unknown>): string {
  const body = answer.body as { code?: unknown; message?: unknown } | null;
  const message = body && (typeof body.message === 'string' ? body.message : Array.isArray(body.message) ? body.message.join('; ') : undefined);
  return `${answer.status}${errorCode(answer) ? ` ${errorCode(answer)}` : ''}${message ? `: ${message}` : ''}`;
}
