import { readFileSync } from 'node:fs';
import { DoorList } from '../door-list';
import { errorMessage, NetworkError } from '../http';
import type { Tap } from '../reader-bridge';
import { fatalIfUnauthorized, FatalError, type ModeContext, type TapMode } from './mode';

/**
 * door: every tap asks the service (POST /v1/access/check) and prints ALLOW or DENY.
 * When the service cannot be reached (no answer in --timeout, or a 5xx), the door decides
 * from its signed allowlist, kept in a local file and brought up to date every --sync
 * seconds, and says that it did.
 */
export async function doorMode(ctx: ModeContext): Promise<TapMode> {
  const { api, out, options } = ctx;
  const doorId = options.doorId!;
  let pinned: string | undefined;
  if (options.publicKeyPath) {
    try {
      pinned = readFileSync(options.publicKeyPath, 'utf8');
    } catch (err) {
      throw new FatalError(`cannot read --public-key ${options.publicKeyPath}: ${(err as Error).message}`);
    }
  }
  const list = new DoorList(doorId, options.allowlistPath!, api, pinned);
  const problem = list.load();
  if (problem) out.error('allowlist-invalid', { doorId, path: options.allowlistPath, reason: problem }, `warning: ${problem}`);
  else if (list.version !== null) out.status('allowlist', { doorId, version: list.version, uids: list.size, source: 'file' }, `allowlist v${list.version} (${list.size} cards) loaded from ${options.allowlistPath}`);

  let lastSyncProblem = '';
  async function sync(): Promise<void> {
    try {
      const result = await list.sync();
      lastSyncProblem = '';
      if (result === 'updated') out.status('allowlist', { doorId, version: list.version, uids: list.size, source: 'service' }, `allowlist v${list.version} (${list.size} cards) from the service`);
    } catch (err) {
      const message = (err as Error).message;
      // Once per kind of problem, not every --sync seconds while the network is down.
      if (message !== lastSyncProblem) {
        lastSyncProblem = message;
        const offline = list.version === null ? 'no list yet: offline taps will be denied' : `offline decisions use v${list.version}`;
        out.error('allowlist-sync-failed', { doorId, reason: message, version: list.version }, `allowlist not updated (${message}); ${offline}`);
      }
    }
  }
  await sync();
  const timer = setInterval(() => void sync(), options.syncIntervalMs);
  timer.unref();

  async function onTap(tap: Tap): Promise<'continue'> {
    let unreachable: string;
    try {
      const answer = await api.call<{ decision?: string; reason?: string; cardId?: string }>('POST', '/v1/access/check', { body: { doorId, uid: tap.uid } });
      if (answer.status === 200 && (answer.body.decision === 'allow' || answer.body.decision === 'deny')) {
        const { decision, reason } = answer.body;
        out.result('access', { uid: tap.uid, reader: tap.reader, doorId, decision, reason, cardId: answer.body.cardId, source: 'service' }, `${decision.toUpperCase()} ${tap.uid}  ${reason}`);
        return 'continue';
      }
      fatalIfUnauthorized(answer, `check access at door ${doorId}`);
      if (answer.status < 500) {
        out.result('access', { uid: tap.uid, reader: tap.reader, doorId, decision: 'deny', reason: 'error', message: errorMessage(answer), source: 'service' }, `DENY ${tap.uid}  ${errorMessage(answer)}`);
        return 'continue';
      }
      unreachable = errorMessage(answer);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      unreachable = err.message;
    }
    const offline = list.decide(tap.uid);
    const source = offline.version === null ? 'no local list' : `local list v${offline.version}`;
    out.result(
      'access',
      { uid: tap.uid, reader: tap.reader, doorId, decision: offline.decision, reason: offline.reason, source: 'allowlist', listVersion: offline.version, offline: unreachable },
      `${offline.decision.toUpperCase()} ${tap.uid}  ${offline.reason}  (OFFLINE: ${unreachable}; decided from the ${source})`,
    );
    return 'continue';
  }

  return { prompt: `Tap a card at door ${doorId}…`, onTap, stop: () => clearInterval(timer) };
}
