/**
 * Preloaded into the service (`node --expose-gc --require heap-probe.js dist/src/main.js`)
 * by the soak, and nothing else: a tiny HTTP server on a Unix socket of its own that, on
 * GET /gc, runs a full garbage collection and answers the heap as it is right after it.
 * Heap used sampled at random moments goes up and down with the collector's sawtooth;
 * right after a full collection it is what the service actually keeps, so a leak shows
 * as that figure rising from one sample to the next.
 *
 * No change to the service: the socket is unref'd (it never keeps the process alive),
 * removed when the process exits, and only this machine's bench can reach it.
 */
import { unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { heapProbeSocket } from './probe-path';

const path = heapProbeSocket(process.pid);
const gc = (globalThis as { gc?: (options?: { type: 'major'; execution: 'sync' }) => void }).gc;

const server = createServer((req, res) => {
  if (req.url !== '/gc') {
    res.writeHead(404).end();
    return;
  }
  if (!gc) {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the service was started without --expose-gc' }));
    return;
  }
  const before = process.memoryUsage();
  const t0 = performance.now();
  gc();
  const gcMs = performance.now() - t0;
  const after = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ gcMs, before, after, spaces }));
});
try {
  unlinkSync(path);
} catch {
  // not there: the usual case
}
server.listen(path);
server.unref();
process.once('exit', () => {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
});
