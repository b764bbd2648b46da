import { connect } from 'node:net';

/** Where libpcsclite finds pcscd; PCSCLITE_CSOCK_NAME moves it (and the worker inherits it). */
export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PCSCLITE_CSOCK_NAME || '/run/pcscd/pcscd.comm';
}

export type Probe = { ok: true } | { ok: false; code: string };

/**
 * Whether pcscd answers on its socket. A socket file alone proves nothing: one left
 * behind by a dead pcscd refuses connections, and nfc-pcsc would spin on it forever.
 */
export function probePcscd(path: string, timeoutMs = 1000): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (probe: Probe) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(probe);
    };
    const timer = setTimeout(() => done({ ok: false, code: 'ETIMEDOUT' }), timeoutMs);
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, code: err.code ?? err.message }));
  });
}

export function pcscdProblem(path: string, code: string): string {
  const start = 'Start it with `sudo systemctl start pcscd.socket` (or run `sudo pcscd`); install it with `sudo apt-get install pcscd`.';
  switch (code) {
    case 'ENOENT':
      return `pcscd is not running: there is no socket at ${path}. ${start}`;
    case 'ECONNREFUSED':
      return `pcscd is not running: ${path} is left over from a pcscd that stopped, and nothing answers on it. ${start}`;
    case 'EACCES':
      return `not allowed to talk to pcscd at ${path}: run the bridge as a user pcscd (and its polkit rules) accepts.`;
    case 'ETIMEDOUT':
      return `pcscd at ${path} does not answer; restart it: sudo systemctl restart pcscd`;
    default:
      return `cannot reach pcscd at ${path} (${code}). ${start}`;
  }
}
