import type { ServerResponse } from 'node:http';

/** For every answer: no sniffing, no framing, no referrer, no caching of personal or money data. */
const COMMON: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Browsers honour it only over HTTPS, where a TLS front end serves the service.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

/** JSON answers are never a document to render or a script to run. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  ...COMMON,
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

/** The desk console: its own scripts, styles and API only. */
const DESK_HEADERS: Readonly<Record<string, string>> = {
  ...COMMON,
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Swagger UI styles itself inline. */
const DOCS_HEADERS: Readonly<Record<string, string>> = {
  ...COMMON,
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/** Sets the headers for a request's path on the raw response, before Fastify writes it. */
export function applySecurityHeaders(url: string | undefined, res: ServerResponse): void {
  const headers = url?.startsWith('/desk') ? DESK_HEADERS : url?.startsWith('/docs') ? DOCS_HEADERS : API_HEADERS;
  for (const name in headers) res.setHeader(name, headers[name]);
}
