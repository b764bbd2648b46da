import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP hop between the bridge and the service that can fail the way networks do: go
 * down (nothing listens: connections refused), or let requests through and lose their
 * answers (the worst case for a payment: executed, but the terminal never hears so).
 */
export class FlakyProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private answersToDrop = 0;
  private downAfterDrop = false;
  dropped = 0;

  private constructor(
    private readonly targetPort: number,
    public port = 0,
  ) {}

  static async start(targetPort: number): Promise<FlakyProxy> {
    const proxy = new FlakyProxy(targetPort);
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  down(): void {
    this.server?.close();
    this.server = null;
    for (const s of this.sockets) s.destroy();
  }

  /** Listening again, on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The next `n` answers from the service are cut off before they reach the bridge; then, optionally, the network goes down. */
  dropAnswers(n: number, opts: { thenDown?: boolean } = {}): void {
    this.answersToDrop = n;
    this.downAfterDrop = opts.thenDown ?? false;
  }

  async close(): Promise<void> {
    this.down();
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (this.answersToDrop > 0) {
        this.answersToDrop--;
        this.dropped++;
        client.destroy();
        upstream.destroy();
        if (this.answersToDrop === 0 && this.downAfterDrop) this.down();
        return;
      }
      client.write(chunk);
    });
  }
}
