import { Injectable, type OnModuleInit, type PipeTransform } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-error';

/** The one route that takes a text/csv body. */
export const CSV_ROUTE = '/v1/bills/import';
/** A full import file (10,000 lines) is well under 2 MiB; this leaves room for long references. */
export const CSV_BODY_LIMIT = 5 * 1024 * 1024;

/**
 * Teaches Fastify to read text/csv, for the import route only. The app reads nothing
 * but JSON, and a parser is registered for all routes at once, so this one refuses
 * CSV on every other route (415, before reading the body) and reads the import's
 * body itself, with its own size limit and strict UTF-8.
 */
@Injectable()
export class CsvBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (typeof fastify?.addContentTypeParser !== 'function' || fastify.hasContentTypeParser('text/csv')) return;
    fastify.addContentTypeParser('text/csv', (req, payload, done) => {
      // An unknown route answers 404 whatever its body, as it does for every other media type.
      if (req.is404) return done(null, undefined);
      const refusal = refuse(req);
      if (refusal) return done(refusal, undefined);
      readText(payload, done);
    });
  }
}

function refuse(req: FastifyRequest): Error | null {
  if (req.routeOptions.url !== CSV_ROUTE || req.method !== 'POST') return httpError(415, 'this route takes JSON bodies (Content-Type: application/json)');
  const charset = /;\s*charset\s*=\s*"?([^";]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1].trim().toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return httpError(415, 'CSV must be sent as UTF-8 (charset=utf-8)');
  const declared = Number(req.headers['content-length']);
  if (declared > CSV_BODY_LIMIT) return httpError(413, `a CSV body may be at most ${CSV_BODY_LIMIT} bytes`);
  return null;
}

/** Like Fastify's own body reader: stop listening at the limit and answer 413. */
function readText(payload: NodeJS.ReadableStream, done: (err: Error | null, body?: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= CSV_BODY_LIMIT) return void chunks.push(chunk);
    stop();
    done(httpError(413, `a CSV body may be at most ${CSV_BODY_LIMIT} bytes`));
  };
  const onEnd = () => {
    stop();
    try {
      done(null, new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
    } catch {
      done(httpError(400, 'body: not valid UTF-8 text'));
    }
  };
  const onError = (err: Error) => {
    stop();
    done(Object.assign(err, { statusCode: 400 }));
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
}

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

/** `@Body(CsvText)`: the import's body as text; a JSON (or missing) body is the wrong media type. */
export const CsvText: PipeTransform = {
  transform(value: unknown): string {
    if (typeof value !== 'string') throw new DomainError('unsupported_media_type', 'send the bills as a CSV file (Content-Type: text/csv)');
    return value;
  },
};
