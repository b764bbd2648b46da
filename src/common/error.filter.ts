import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { errorBodyFor, type ErrorBody } from './error-status';

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
  503: 'service_unavailable',
};

const logger = new Logger('Errors');

/**
 * Renders any error as the contract's `{statusCode, code, message}`: domain and ledger
 * errors by their code, framework and parser errors by their status, and anything
 * unexpected as a 500 whose details go to the log, never to the client.
 */
export function toErrorBody(err: unknown): ErrorBody {
  const known = errorBodyFor(err);
  if (known) return known;
  if (databaseUnavailable(err)) {
    logger.warn({ err: loggable(err) }, 'database unavailable');
    return { statusCode: 503, code: 'service_unavailable', message: 'the database is unavailable; retry with the same Idempotency-Key' };
  }
  const status = err instanceof HttpException ? err.getStatus() : (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_FOR_STATUS[status] ?? 'bad_request';
    return { statusCode: status, code, message: clientMessage(err, code) };
  }
  logger.error({ err: loggable(err) }, 'unhandled error');
  return { statusCode: 500, code: 'internal_error', message: 'internal error' };
}

/**
 * What of an unexpected error may be logged. PostgreSQL's `detail` ("Failing row
 * contains (...)") and PGlite's `params` carry the row's values, phone numbers
 * included, so only the error's kind, codes and stack are kept.
 */
function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
  return { type: e.name, message: e.message, code: e.code, constraint: e.constraint, table: e.table, column: e.column, stack: e.stack };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * The database went away (a restart, a failover, a network cut): nothing was
 * committed by the failed call, so the caller may retry. PostgreSQL's class 08
 * (connection exception) and 57P01-57P03 (shut down, crash, starting up), node's
 * socket errors, and the pool's own errors for a dead or unobtainable connection.
 */
function databaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || UNREACHABLE.has(code))) return true;
  return /Connection terminated|Knex: Timeout acquiring a connection|Client has encountered a connection error/.test(err.message);
}

function clientMessage(err: unknown, code: string): string {
  if (code === 'validation_failed' && err instanceof SyntaxError) return 'body: not valid JSON';
  const message = err instanceof HttpException ? err.message : (err as { message?: unknown })?.message;
  return typeof message === 'string' && message.length <= 300 ? message : code.replace(/_/g, ' ');
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    void host.switchToHttp().getResponse<FastifyReply>().status(body.statusCode).send(body);
  }
}
