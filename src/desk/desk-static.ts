import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The page holds an operator key in its session: only its own scripts may run, it
 * talks to nothing but this service, and no other site may frame it.
 */
const HEADERS: Record<string, string> = {
  // No bundler, so file names carry no content hash: always revalidate (ETag), never serve a stale mix.
  'Cache-Control': 'no-cache',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The console's files live in desk/public at the top of the repository; found the same from src/ (tests) and dist/src/. */
export function deskRoot(from = __dirname): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'desk', 'public');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`desk console files (desk/public/index.html) not found above ${from}`);
}

/**
 * Serves the desk console at /desk/ (and /desk, redirected), outside Nest: plain files
 * need no key, and the API calls the page makes are guarded like every other call.
 */
export async function serveDesk(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyStatic as never, {
    root: deskRoot(),
    prefix: '/desk',
    redirect: true,
    index: ['index.html'],
    // @nestjs/swagger registers the plugin too; only one registration may decorate the reply.
    decorateReply: false,
    cacheControl: false,
    dotfiles: 'ignore',
    setHeaders: (reply: { header(name: string, value: string): unknown }) => {
      for (const [name, value] of Object.entries(HEADERS)) reply.header(name, value);
    },
  });
}
