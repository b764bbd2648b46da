/**
 * The ceiling: a bare `node:http` server that reads each request's body and answers a
 * fixed JSON body of the size of a door decision. No routing, no auth, no validation,
 * no logging, no work. Run as its own process (`node dist/bench/access/bare-server.js
 * <port>`), like the service, so it never shares an event loop with the load generator.
 */
import { createServer } from 'node:http';

const BODY = Buffer.from('{"decision":"allow","reason":"ok","cardId":"8f14e45f-ceea-367a-9a36-dedd4bea2543"}');
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(BODY.length) };

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
