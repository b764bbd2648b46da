import type { Role } from '../../src/auth/roles';
import type { Endpoint } from './endpoints';
import { keysFor, realPath, type World } from './fixtures';
import type { RawCase } from './generate';
import type { Rng } from '../support/rng';
import { CRLF_INJECTION, INJECTED_HEADER } from './values';

/**
 * Requests no well-behaved client library would send, written byte by byte to a socket:
 * header injection (CR, LF, CRLF in values), invalid UTF-8 in the request line and
 * headers, bad Content-Length and Transfer-Encoding, oversized heads, broken request
 * lines, pipelining, truncation. The acceptable answers are a 4xx or a closed
 * connection; never a 5xx, never silence. None carries an Idempotency-Key, so none can
 * move money even if the server read it as valid.
 */

const b = (s: string) => Buffer.from(s, 'latin1');
const cat = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));

interface Parts {
  method: string;
  path: string;
  key: string;
  body: string;
}

type Template = (p: Parts, r: Rng) => { bytes: Buffer; halfClose?: boolean; responses?: number; note: string };

const head = (p: Parts, extra = '', connection = 'close') =>
  `${p.method} ${p.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${p.key}\r\nConnection: ${connection}\r\n${extra}`;
const json = (p: Parts, extra = '') => `${head(p, extra)}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(p.body)}\r\n\r\n${p.body}`;

const TEMPLATES: Template[] = [
  // header injection
  (p) => ({ bytes: b(json(p, `X-Test: a\rb\r\n`)), note: 'bare CR in a header value' }),
  (p) => ({ bytes: b(json(p, `X-Test: a\nInjected: b\r\n`)), note: 'bare LF in a header value' }),
  (p) => ({ bytes: b(json(p, `X-Test: a\r\n ${INJECTED_HEADER}: 1\r\n`)), note: 'obs-fold continuation line' }),
  (p) => ({ bytes: b(json(p, `Content-Type: text/plain\r\n`)), note: 'two content types' }),
  (p) => ({ bytes: b(json(p, `X-Test: ${CRLF_INJECTION}\r\n`)), note: 'CRLF payload splitting the head' }),
  (p) => ({ bytes: b(json(p, `X-Test: a\u0000b\r\n`)), note: 'NUL in a header value' }),
  (p) => ({ bytes: b(json(p, `Bad Header: x\r\n`)), note: 'space in a header name' }),
  (p) => ({ bytes: b(json(p, `: novalue\r\n`)), note: 'empty header name' }),
  (p) => ({ bytes: b(json(p, `NoColon\r\n`)), note: 'header line without a colon' }),
  (p) => ({ bytes: cat(json(p, ''), ''), note: 'well-formed (control)' }),
  (p) => ({ bytes: b(json({ ...p, path: `${p.path}?x=${encodeURIComponent(CRLF_INJECTION)}` })), note: 'encoded CRLF in the query' }),
  // invalid UTF-8 and raw non-ASCII
  (p) => ({ bytes: cat(`${p.method} ${p.path}`, Buffer.from([0xff, 0xfe]), ` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${p.key}\r\nConnection: close\r\n\r\n`), note: 'invalid UTF-8 in the path' }),
  (p) => ({ bytes: cat(`${p.method} ${p.path}?q=`, Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), ` HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'invalid UTF-8 in the query' }),
  (p) => ({ bytes: cat(`${p.method} ${p.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer `, Buffer.from([0xff, 0xfe, 0xfd]), '\r\nConnection: close\r\n\r\n'), note: 'invalid UTF-8 in Authorization' }),
  (p) => ({ bytes: cat(`${p.method} ${p.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${p.key}\r\nIdempotency`, Buffer.from([0xe4, 0xb8]), '-Key: k\r\nConnection: close\r\n\r\n'), note: 'invalid UTF-8 in a header name' }),
  (p) => ({ bytes: cat(`${p.method} ${p.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${p.key}\r\nContent-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{"uid":"`, Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), '"}'), note: 'invalid UTF-8 in the JSON body' }),
  (p) => ({ bytes: b(`${p.method} ${p.path}/中文 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'raw non-ASCII bytes in the path' }),
  // Content-Length and Transfer-Encoding
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n${p.body}`), note: 'Content-Length: abc' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n${p.body}`), note: 'Content-Length: -1' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: 1e3\r\n\r\n${p.body}`), note: 'Content-Length: 1e3' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n${p.body}`), halfClose: true, note: 'Content-Length past 2^64' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n${p.body}`), note: 'two different Content-Lengths' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: ${p.body.length}, ${p.body.length}\r\n\r\n${p.body}`), note: 'Content-Length list' }),
  (p) => ({
    bytes: b(`${head(p, '', 'keep-alive')}Content-Type: application/json\r\nContent-Length: 1\r\n\r\n${p.body}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    responses: 2,
    note: 'Content-Length shorter than the body (the rest reads as a second request)',
  }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: ${p.body.length + 100}\r\n\r\n${p.body}`), halfClose: true, note: 'Content-Length longer than the body, then EOF' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nContent-Length: ${p.body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${p.body.length.toString(16)}\r\n${p.body}\r\n0\r\n\r\n`), note: 'Content-Length with chunked (smuggling)' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n${p.body.length.toString(16)}\r\n${p.body}\r\n0\r\n\r\n`), note: 'Transfer-Encoding: chunked, identity' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n${p.body}`), halfClose: true, note: 'Transfer-Encoding: gzip' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${p.body}\r\n0\r\n\r\n`), note: 'bad chunk size' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n${p.body}\r\n0\r\n\r\n`), note: 'chunk size overflow' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${p.body.length.toString(16)};${'e'.repeat(5000)}\r\n${p.body}\r\n0\r\n\r\n`), note: 'long chunk extension' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${p.body.length.toString(16)}\r\n${p.body}\r\n`), halfClose: true, note: 'missing last chunk, then EOF' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${p.body.length.toString(16)}\r\n${p.body}\r\n0\r\nX-Trailer: ${CRLF_INJECTION}\r\n\r\n`), note: 'trailer with CRLF payload' }),
  (p) => ({ bytes: b(`${head(p)}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${p.body.length}\r\n\r\n`), halfClose: true, note: 'Expect: 100-continue, body never sent' }),
  // oversized heads
  (p) => ({ bytes: b(`${p.method} ${p.path}?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: '20 KB URL' }),
  (p) => ({ bytes: b(json(p, `X-Big: ${'b'.repeat(20_000)}\r\n`)), note: '20 KB header' }),
  (p, r) => ({ bytes: b(json(p, Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${r.hex(2)}\r\n`).join(''))), note: '3000 headers' }),
  // broken request lines
  (p) => ({ bytes: b(`${p.method}  ${p.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'double space in the request line' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/1.1\r\nConnection: close\r\n\r\n`), note: 'HTTP/1.1 without Host' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n`), note: 'two Host headers' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/1.0\r\nAuthorization: Bearer ${p.key}\r\n\r\n`), note: 'HTTP/1.0' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/2.0\r\nHost: x\r\n\r\n`), note: 'HTTP/2.0 request line' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/9.9\r\nHost: x\r\n\r\n`), note: 'HTTP/9.9' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTX/1.1\r\nHost: x\r\n\r\n`), note: 'HTTX/1.1' }),
  (p) => ({ bytes: b(`${p.method.toLowerCase()} ${p.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'lower-case method' }),
  (p) => ({ bytes: b(`FOO ${p.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'unknown method' }),
  (p) => ({ bytes: b(`${p.method} ${p.path.slice(1)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'path without a leading slash' }),
  (p) => ({ bytes: b(`${p.method} http://evil.example${p.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${p.key}\r\nConnection: close\r\n\r\n`), note: 'absolute-form URL' }),
  () => ({ bytes: b(`OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'OPTIONS *' }),
  () => ({ bytes: b(`CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\n`), halfClose: true, note: 'CONNECT to the database port' }),
  () => ({ bytes: b(`GET /\r\n`), halfClose: true, note: 'HTTP/0.9' }),
  () => ({ bytes: b(`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`), halfClose: true, note: 'HTTP/2 preface' }),
  (_p, r) => ({ bytes: cat(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), r.bytes(100)), halfClose: true, note: 'TLS ClientHello' }),
  (_p, r) => ({ bytes: r.bytes(r.int(1, 4000)), halfClose: true, note: 'random bytes' }),
  () => ({ bytes: Buffer.alloc(0), halfClose: true, note: 'nothing, then EOF' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/1.1\r\nHost: x\r\nAuthor`), halfClose: true, note: 'head cut off, then EOF' }),
  (p) => ({ bytes: b(`${p.method} ${p.path} HTTP/1.1\nHost: x\nAuthorization: Bearer ${p.key}\nConnection: close\n\n`), note: 'bare LF line endings' }),
  (p) => ({ bytes: b(`${p.method} ${p.path}\u0000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'NUL in the path' }),
  (p) => ({ bytes: b(`${p.method} ${p.path}#frag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${p.key}\r\nConnection: close\r\n\r\n`), note: 'fragment in the request target' }),
  (p) => ({ bytes: b(`${p.method} ${p.path}/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), note: 'dot segments' }),
  (p) => ({ bytes: b(`${head(p, `Upgrade: websocket\r\n`, 'Upgrade')}Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n`), halfClose: true, note: 'websocket upgrade' }),
  (p) => ({ bytes: b(`${head(p, `Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n`, 'Upgrade, HTTP2-Settings')}\r\n`), halfClose: true, note: 'h2c upgrade' }),
  // pipelining
  (p) => ({ bytes: b(`${head(p, '', 'keep-alive')}\r\n${p.method} ${p.path} HTTP/1.1\r\nHost: x\r\nX: \u0000\r\nConnection: close\r\n\r\n`), responses: 2, note: 'pipelined: good then NUL in a header' }),
  (p) => ({ bytes: b(`${json(p).replace('Connection: close', 'Connection: keep-alive')}GARBAGE\r\n\r\n`), responses: 2, note: 'pipelined: request then garbage' }),
  (p) => ({ bytes: b(Array.from({ length: 50 }, (_, i) => `GET /health HTTP/1.1\r\nHost: x\r\n${i === 49 ? 'Connection: close\r\n' : ''}\r\n`).join('') + `${p.method} ${p.path} HTTP/1.1\r\n\r\n`), responses: 50, note: '50 pipelined requests' }),
];

export function rawCase(world: World, index: number, r: Rng, e: Endpoint): RawCase {
  const roles = keysFor(world, e);
  const role: Role = roles.length > 0 ? r.pick(roles) : 'admin';
  const body = JSON.stringify(r.pick([{ uid: world.cardUid, amount: '1.00' }, { doorId: world.doorId, uid: world.cardUid }, {}, { name: 'x' }]));
  const parts: Parts = { method: e.method, path: realPath(world, e), key: world.keys[role], body };
  const t = r.pick(TEMPLATES)(parts, r);
  return { kind: 'raw', index, label: `raw ${e.key}`, bytes: t.bytes, halfClose: t.halfClose ?? false, responses: t.responses ?? 1, notes: [t.note] };
}
