/**
 * A reader for the stations' server-sent event streams, the way the desk console
 * reads them: fetch with the key in the Authorization header.
 */
export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The next event of that type (earlier events of other types are skipped); rejects after timeoutMs. */
  next(type: string, timeoutMs?: number): Promise<SseEvent>;
  /** Events of that type that arrive within the window. */
  collect(type: string, windowMs: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(baseUrl: string, station: string, key?: string, path = `/v1/stations/${station}/events`): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(baseUrl + path, { headers: key ? { Authorization: `Bearer ${key}` } : {}, signal: controller.signal });
  const queue: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) queue.push({ event, data: data === undefined ? undefined : JSON.parse(data) });
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted by close()
    }
  })();

  const take = (type: string) => {
    const i = queue.findIndex((e) => e.event === type);
    return i >= 0 ? queue.splice(i, 1)[0] : undefined;
  };
  return {
    status: res.status,
    headers: res.headers,
    ended,
    next: (type, timeoutMs = 2000) =>
      new Promise<SseEvent>((resolve, reject) => {
        const found = take(type);
        if (found) return resolve(found);
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${type} event within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          const e = take(type);
          if (!e) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(e);
        };
        waiters.add(check);
      }),
    collect: async (type, windowMs) => {
      await new Promise((r) => setTimeout(r, windowMs));
      const out: SseEvent[] = [];
      for (let e = take(type); e; e = take(type)) out.push(e);
      return out;
    },
    close: () => controller.abort(),
  };
}
