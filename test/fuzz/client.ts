import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { HttpCase, RawCase } from './generate';

/**
 * Senders. HTTP cases go through node:http with a keep-alive agent, so the fast lane
 * and Fastify see ordinary client traffic; raw cases are written to a fresh socket.
 * Each request has a client-side timeout: no answer within it fails that case (the
 * campaign as a whole has no time bound).
 */

export interface HttpAnswer {
  status?: number;
  headers?: IncomingHttpHeaders;
  /** The body (up to 1 MiB kept). */
  body?: Buffer;
  /** A server-sent event stream: answered once the head came; then we hang up. */
  stream?: boolean;
  /** No answer within the timeout. */
  timedOut?: boolean;
  /** The connection failed before an answer: its error code. */
  error?: string;
  /** The client library refused to send it (bad header or path characters): sent raw instead. */
  clientRefused?: string;
  /** The case sent just before on the same keep-alive connection (a stray answer may be its). */
  previousOnConnection?: number;
}

const lastCaseOn = new WeakMap<object, number>();

const KEEP = 1024 * 1024;

export function createAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

export async function sendHttp(agent: Agent, port: number, c: HttpCase, timeoutMs: number): Promise<HttpAnswer> {
  const first = await sendOnce(agent, port, c, timeoutMs);
  // A keep-alive socket the server closed just before we reused it: try once on a new one.
  if (first.error && (first as { reused?: boolean }).reused && ['ECONNRESET', 'EPIPE', 'socket hang up'].includes(first.error)) {
    return sendOnce(undefined, port, c, timeoutMs);
  }
  return first;
}

function sendOnce(agent: Agent | undefined, port: number, c: HttpCase, timeoutMs: number): Promise<HttpAnswer & { reused?: boolean }> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (a: HttpAnswer & { reused?: boolean }) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(a);
    };
    let req: ReturnType<typeof httpRequest>;
    // node:http sends no Content-Length for a GET, HEAD, DELETE or OPTIONS body: the bytes would reach the
    // server as a second, garbage request. Say how long the body is, unless it goes chunked.
    const headers = { ...c.headers };
    if (c.body !== undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = String(c.body.length);
    try {
      req = httpRequest({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent: agent ?? false, setHost: c.headers['host'] === undefined });
    } catch (err) {
      finish({ clientRefused: (err as { code?: string }).code ?? String(err) });
      return;
    }
    timer = setTimeout(() => {
      finish({ timedOut: true });
      req.destroy();
    }, timeoutMs);
    let previous: number | undefined;
    req.on('socket', (socket) => {
      previous = lastCaseOn.get(socket);
      lastCaseOn.set(socket, c.index);
    });
    req.on('response', (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        finish({ status: res.statusCode, headers: res.headers, stream: true, body: Buffer.alloc(0), previousOnConnection: previous });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < KEEP) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), previousOnConnection: previous }));
      res.on('error', () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: 'response cut off' }));
      res.on('aborted', () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: 'response cut off' }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message, reused: req.reusedSocket, previousOnConnection: previous }));
    try {
      if (c.body !== undefined) req.end(c.body);
      else req.end();
    } catch (err) {
      finish({ clientRefused: (err as { code?: string }).code ?? String(err) });
      req.destroy();
    }
  });
}

/** node:http's default limit on a request's head; past it the HTTP parser answers 431 before the app sees anything. */
const MAX_HEAD = 16 * 1024;

/**
 * Whether a generated request is not valid HTTP/1.1 at all, so only the HTTP parser
 * below the app can answer it: a request target with a character outside printable
 * ASCII (DEL, a control character, a raw non-ASCII byte), or a head past 16 KiB. Such
 * requests go out as raw bytes and are judged as raw bytes are (a 4xx or a closed
 * connection), whether or not node:http would have agreed to send them.
 */
export function isMalformedHttp(c: HttpCase): boolean {
  if (!/^[\x21-\x7e]*$/.test(c.path)) return true;
  let head = c.method.length + c.path.length + 64;
  for (const [k, v] of Object.entries(c.headers)) for (const one of Array.isArray(v) ? v : [v]) head += k.length + String(one).length + 4;
  return head > MAX_HEAD - 512;
}

/** The same request as bytes, for what node:http refuses to send (CR/LF or non-Latin-1 in headers or the path). */
export function httpCaseToRaw(c: HttpCase): RawCase {
  const lines = [`${c.method} ${c.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(c.headers)) {
    if (k === 'host' || k === 'connection' || k === 'transfer-encoding' || k === 'content-length') continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  if (c.body !== undefined) lines.push(`Content-Length: ${c.body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
  return { kind: 'raw', index: c.index, label: c.label, bytes: c.body ? Buffer.concat([head, c.body]) : head, halfClose: false, responses: 1, notes: [...c.notes, 'sent raw: node:http refused it'] };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawAnswer {
  responses: RawResponse[];
  /** Bytes after the last complete response (a cut-off answer). */
  leftover: number;
  timedOut?: boolean;
  /** The server closed the connection (rather than us hanging up after the answers). */
  closedByServer: boolean;
}

export function sendRaw(port: number, c: RawCase, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let settled = false;
    const finish = (extra: Partial<RawAnswer>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, leftover: buf.length, closedByServer: false, ...extra });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    socket.on('connect', () => {
      socket.write(c.bytes, () => {
        if (c.halfClose) socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseResponse(buf);
        if (!parsed) break;
        buf = buf.subarray(parsed.consumed);
        if (parsed.response.status >= 200) responses.push(parsed.response);
        if (responses.length >= c.responses) return finish({});
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const last = settled ? null : finalResponse(buf);
      if (last) {
        responses.push(last);
        buf = Buffer.alloc(0);
      }
      finish({ closedByServer: true });
    });
  });
}

/** One HTTP/1.x response from the front of a buffer, if it is all there. */
export function parseResponse(buf: Buffer): { response: RawResponse; consumed: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const headText = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = headText.split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (!m) return { response: { status: -1, headers: { 'x-unparsed': statusLine.slice(0, 100) }, body: Buffer.alloc(0) }, consumed: buf.length };
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${line.slice(i + 1).trim()}` : line.slice(i + 1).trim();
    }
  }
  const status = Number(m[1]);
  let at = end + 4;
  if (status < 200 || status === 204 || status === 304) return { response: { status, headers, body: Buffer.alloc(0) }, consumed: at };
  // A server-sent event stream never ends: its head is the answer.
  if ((headers['content-type'] ?? '').startsWith('text/event-stream')) return { response: { status, headers, body: Buffer.alloc(0) }, consumed: buf.length };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf('\r\n', at);
      if (nl < 0) return null;
      const size = parseInt(buf.subarray(at, nl).toString('latin1'), 16);
      if (Number.isNaN(size)) return null;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n\r\n', nl - 2 < at ? at : nl - 2);
        if (trailerEnd < 0) return null;
        return { response: { status, headers, body: Buffer.concat(parts) }, consumed: trailerEnd + 4 };
      }
      if (buf.length < nl + 2 + size + 2) return null;
      parts.push(buf.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
  }
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  if (length === undefined) return null; // read until close
  if (buf.length < at + length) return null;
  return { response: { status, headers, body: buf.subarray(at, at + length) }, consumed: at + length };
}

/** On close: a response without a length ends with the connection; one with a length not all there was cut off. */
export function finalResponse(buf: Buffer): RawResponse | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > 0 ? { status: -1, headers: { 'x-cut-off': 'head' }, body: buf } : null;
  const headText = buf.subarray(0, end).toString('latin1');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(headText);
  if (!m) return { status: -1, headers: { 'x-unparsed': headText.slice(0, 100) }, body: Buffer.alloc(0) };
  const headers: Record<string, string> = {};
  for (const line of headText.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  if (headers['content-length'] !== undefined || /chunked/i.test(headers['transfer-encoding'] ?? '')) headers['x-cut-off'] = 'body';
  return { status: Number(m[1]), headers, body: buf.subarray(end + 4) };
}
