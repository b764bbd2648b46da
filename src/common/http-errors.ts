import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from './error.filter';
import { API_HEADERS } from './security-headers';

/**
 * Answers to requests that never reach a route, in the contract's error shape: bad
 * bytes in the URL or a path parameter too long (Fastify's router), HTTP that does not
 * parse (node's parser), an Expect header node cannot meet. Their defaults answer
 * without a `code`, or with Fastify's own FST_ERR_* codes.
 */
export function answerFrameworkError(err: unknown, _req: FastifyRequest, reply: FastifyReply): void {
  const body = toErrorBody(err);
  void reply.code(body.statusCode).send(body);
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are larger than 16 KiB'],
};

export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way (an event stream) cannot take a second status line.
  const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'validation_failed', 'the request is not well-formed HTTP'];
    socket.write(rawAnswer(status, { statusCode: status, code, message }));
  }
  socket.destroy(err);
}

/** Node answers an Expect header other than 100-continue with an empty 417 unless told otherwise. */
export function answerUnmetExpectation(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ statusCode: 417, code: 'expectation_failed', message: 'only Expect: 100-continue is supported' });
  res.writeHead(417, { ...API_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

function rawAnswer(status: number, body: unknown): string {
  const text = JSON.stringify(body);
  const headers = Object.entries({ ...API_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${text}`;
}
