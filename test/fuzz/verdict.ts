import type { HttpAnswer, RawAnswer } from './client';
import { errorBodyProblem } from './contract';
import type { HttpCase, RawCase } from './generate';
import { INJECTED_HEADER } from './values';

/**
 * What makes an answer wrong: a 5xx, no answer at all within the timeout, an error
 * answer that is not the contract's `{statusCode, code, message}` with a snake_case
 * code, a response header smuggled in by the request, bad input accepted, or a money
 * route that ran on a request it had to refuse.
 */

export interface Verdict {
  /** How the answer is counted: the status, or "closed", "timeout", "stream". */
  outcome: string;
  problem?: string;
  /** A 4xx that is not the contract's JSON, from the HTTP parser below the app: allowed for raw bytes only. */
  parserLevel?: string;
}

/** Bytes of files the wild paths aim at (../package.json, /etc/passwd): never served. */
const TRAVERSAL = /"name":\s*"community-card"|root:x:0:0:|"compilerOptions"/;

/** Answers a money route gives only once it ran: a decline, a conflict, a replay mismatch. */
const RAN = new Set([402, 409, 422]);

export function judgeHttp(c: HttpCase, a: HttpAnswer, timeoutMs: number): Verdict {
  if (a.timedOut) return { outcome: 'timeout', problem: `no answer within ${timeoutMs} ms` };
  if (a.status === undefined) {
    if (c.tolerateClose) return { outcome: 'closed' };
    return { outcome: 'closed', problem: `connection closed without an answer (${a.error})` };
  }
  const status = a.status;
  const outcome = String(status);
  if (status >= 500) return { outcome, problem: `${status} answer` };
  if (a.headers && INJECTED_HEADER in a.headers) return { outcome, problem: 'a header from the request was injected into the response' };
  if (a.body && TRAVERSAL.test(a.body.toString('latin1'))) return { outcome, problem: 'a file from outside the served folders came back (path traversal)' };
  if (status >= 400 && c.method !== 'HEAD') {
    const bad = errorBodyProblem(status, a.headers?.['content-type'], a.body ?? Buffer.alloc(0));
    if (bad) return { outcome, problem: `not a contract error: ${bad}` };
  }
  if (a.error && !c.tolerateClose) return { outcome, problem: `answer cut off (${a.error})` };
  if (c.money && RAN.has(status)) return { outcome, problem: `a money route ran on a request it had to refuse (${c.refusal})` };
  if (c.refusal && status < 400) return { outcome, problem: `bad input accepted with ${status} (${c.refusal})` };
  return { outcome };
}

export function judgeRaw(c: RawCase, a: RawAnswer, timeoutMs: number): Verdict {
  if (a.timedOut) return { outcome: 'timeout', problem: `${a.responses.length} of ${c.responses} answers, and the connection still open after ${timeoutMs} ms` };
  if (a.responses.length === 0) return { outcome: 'closed' };
  let parserLevel: string | undefined;
  for (const r of a.responses) {
    if (r.status === -1) return { outcome: 'garbled', problem: `an answer that is not HTTP (${JSON.stringify(r.headers)})` };
    if (r.status >= 500) return { outcome: String(r.status), problem: `${r.status} answer` };
    if (INJECTED_HEADER in r.headers) return { outcome: String(r.status), problem: 'a header from the request was injected into the response' };
    if (r.headers['x-cut-off']) return { outcome: String(r.status), problem: 'answer cut off' };
    if (TRAVERSAL.test(r.body.toString('latin1'))) return { outcome: String(r.status), problem: 'a file from outside the served folders came back (path traversal)' };
    if (r.status >= 400 && errorBodyProblem(r.status, r.headers['content-type'], r.body)) {
      // A refusal from below the app (node:http's or Fastify's HTTP parser error answer): allowed for
      // raw bytes, and counted by its shape for the report.
      parserLevel = `${r.status} ${r.headers['content-type'] ?? 'no content-type'} ${r.body.toString('utf8').slice(0, 120) || '(empty)'}`;
    }
  }
  const first = a.responses[0].status;
  return { outcome: String(first), parserLevel };
}
