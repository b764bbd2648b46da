import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { StationFeed } from './station-feed';
import type { TapView } from './tap.view';

/** Often enough that proxies keep the stream open, and a revoked key elsewhere is noticed soon. */
const HEARTBEAT_MS = 15_000;
/** A client that reads nothing for this long is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

interface Stream {
  keyId: string;
  end(event?: { code: string }): void;
}

/**
 * The server-sent event streams of the stations' taps. The console reads them with
 * fetch, so the key travels in the Authorization header like on every other call
 * (never in a URL, where access logs and browser history keep it); each heartbeat
 * checks the key again, and a revocation on this instance ends its streams at once.
 */
@Injectable()
export class TapStreams implements OnModuleDestroy {
  private readonly logger = new Logger(TapStreams.name);
  private readonly streams = new Set<Stream>();
  private closing = false;

  constructor(
    private readonly feed: StationFeed,
    private readonly auth: Authenticator,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  serve(station: string, principal: Principal, authorization: unknown, reply: FastifyReply): void {
    if (this.closing) throw new DomainError('service_unavailable', 'the service is shutting down');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Reverse proxies would otherwise hold taps back until a buffer fills.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();

    let ended = false;
    const send = (chunk: string) => {
      if (ended) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) stream.end();
    };
    const stream: Stream = {
      keyId: principal.keyId,
      end: (event) => {
        if (ended) return;
        if (event) send(message('end', event));
        ended = true;
        cleanup();
        res.end();
      },
    };
    const unsubscribe = this.feed.subscribe(station, (tap: TapView) => send(message('tap', tap)));
    const heartbeat = setInterval(() => {
      send(': ping\n\n');
      void this.stillAllowed(authorization).then((ok) => ok || stream.end({ code: 'unauthorized' }));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.streams.delete(stream);
    };
    res.on('close', () => {
      ended = true;
      cleanup();
    });
    this.streams.add(stream);
    send(`retry: 2000\n\n${message('ready', { station })}`);
  }

  /** Ends the streams of a key that was just revoked. */
  revoked(keyId: string): void {
    for (const s of [...this.streams]) if (s.keyId === keyId) s.end({ code: 'unauthorized' });
  }

  /** Open streams would keep the server from closing: end them, and take no new ones. */
  onModuleDestroy(): void {
    this.closing = true;
    for (const s of [...this.streams]) s.end({ code: 'service_unavailable' });
  }

  /** Only a refused key ends a stream; a database hiccup during the check does not. */
  private async stillAllowed(authorization: unknown): Promise<boolean> {
    try {
      await this.auth.authenticate(authorization);
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthorized') return false;
      this.logger.warn(`could not recheck a stream's key: ${(err as Error).message}`);
      return true;
    }
  }
}

function message(event: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line always holds the whole event.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

