import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { Logger } from 'nestjs-pino';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { AppModule, type AppOptions } from './app.module';
/** Bodies are small JSON documents; anything larger is refused before parsing (BODY_LIMIT, 64 KiB). */
import { BODY_LIMIT, FastLane } from './lane/fast-lane';
import { ErrorFilter } from './common/error.filter';
import { answerClientError, answerFrameworkError, answerUnmetExpectation } from './common/http-errors';
import { applySecurityHeaders } from './common/security-headers';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { serveDesk } from './desk/desk-static';
import { Metrics } from './ops/metrics';

/** Builds the whole service, ready to listen. Used by main.ts and by the end-to-end tests. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  // The hottest calls take a lane in front of Fastify (src/lane/fast-lane.ts); it opens once the app is built.
  let lane: FastLane | undefined;
  const serverFactory = (fastify: (req: IncomingMessage, res: ServerResponse) => void) =>
    // Slow senders (slowloris) must not hold sockets: headers within 10 s, a whole request within 30 s.
    // Idle keep-alive sockets keep node's 5 s: a longer timeout kept the process waiting on them at
    // shutdown. Terminals should not reuse a socket idle for 4 s or more (or retry: money calls are idempotent).
    createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
      const route = lane?.routeFor(req);
      if (route) return lane!.handle(route, req, res);
      applySecurityHeaders(req.url, res);
      fastify(req, res);
    }).on('checkExpectation', answerUnmetExpectation);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
    serverFactory,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // bodyParser off: Fastify's own JSON parser is the only one; Nest would add a form parser.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // JSON in and out: Fastify's text parser would let a string body reach validation.
  fastify.removeContentTypeParser('text/plain');
  recordRequestDurations(fastify, app.get(Metrics));
  setupOpenApi(app, app.get(FastLane));
  await serveDesk(app);

  await app.init();
  await fastify.ready();
  lane = app.get(FastLane);
  // Start-up logs are buffered until the logger is attached; let them out now, not only at listen().
  app.flushLogs();
  return app;
}

function recordRequestDurations(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}

function setupOpenApi(app: NestFastifyApplication, lane: FastLane): void {
  const doc = new DocumentBuilder()
    .setTitle('Community card (智慧社区卡)')
    .setDescription('Cards, payments, subsidies and doors on an append-only double-entry ledger. Contract: shared/docs/api.md.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = () => {
    const created = SwaggerModule.createDocument(app, doc);
    for (const route of lane.all) created.paths[route.path] = route.openapi as (typeof created.paths)[string];
    return created;
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
