import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './load';

export interface Trial {
  cardId: string;
  /** The lock call on instance A, request to answer. */
  lockMs: number;
  /** From the lock's answer to the first deny answer from instance B. */
  denyMs: number;
  /** Checks sent to B after the lock answered, the denying one included. */
  polls: number;
  /** One check on A, sent the moment the lock answered: the same-instance guarantee. */
  sameInstanceDenied: boolean;
}

export interface RevocationResult {
  trials: number;
  completed: Trial[];
  /** Trials that never saw a deny from B within the timeout, or whose card was not allowed on B before the lock. */
  failed: string[];
  denyMs: LatencySummary & { min: number };
  lockMs: LatencySummary;
  /** Trials whose first check on B after the lock answer was already a deny. */
  deniedOnFirstPoll: number;
  sameInstanceDenied: number;
  /** Round trip of one allowed check on B before the lock (the resolution of denyMs). */
  checkRoundTripMs: LatencySummary;
}

export interface TrialCard {
  cardId: string;
  doorId: string;
  uid: string;
  /** Authorization header value of the door key covering doorId. */
  doorKey: string;
}

const TIMEOUT_MS = 5000;

/**
 * Lock a card through instance A (admin key, POST /v1/cards/:id/lock {reason: 'lost'}),
 * and as soon as A answers, check the card at a door on instance B in a tight loop (one
 * request at a time over one kept-alive connection) until B denies it. B learns of the
 * lock only through PostgreSQL's NOTIFY and its own re-read of the card row.
 */
export async function revocationTrials(a: string, b: string, adminKey: string, cards: TrialCard[], pauseMs = 20): Promise<RevocationResult> {
  const agentA = new Agent({ keepAlive: true, maxSockets: 4 });
  const agentB = new Agent({ keepAlive: true, maxSockets: 1 });
  const completed: Trial[] = [];
  const failed: string[] = [];
  const roundTrips: number[] = [];
  try {
    for (const card of cards) {
      const checkBody = JSON.stringify({ doorId: card.doorId, uid: card.uid });
      const checkB = () => post(agentB, b, '/v1/access/check', card.doorKey, checkBody);
      const t = performance.now();
      const before = await checkB();
      roundTrips.push(performance.now() - t);
      if (before.status !== 200 || !before.body.includes('"allow"')) {
        failed.push(`${card.cardId}: before the lock B answered ${before.status} ${before.body}`);
        continue;
      }
      const t0 = performance.now();
      const lock = await post(agentA, a, `/v1/cards/${card.cardId}/lock`, `Bearer ${adminKey}`, '{"reason":"lost"}');
      const answered = performance.now();
      if (lock.status !== 200) {
        failed.push(`${card.cardId}: lock answered ${lock.status} ${lock.body}`);
        continue;
      }
      const onA = post(agentA, a, '/v1/access/check', card.doorKey, checkBody);
      let polls = 0;
      let deniedAt: number | null = null;
      while (performance.now() - answered < TIMEOUT_MS) {
        const r = await checkB();
        polls++;
        if (r.status === 200 && r.body.includes('"card_not_active"')) {
          deniedAt = performance.now();
          break;
        }
      }
      const a1 = await onA;
      if (deniedAt === null) {
        failed.push(`${card.cardId}: B still allowed it ${TIMEOUT_MS} ms after the lock answered`);
        continue;
      }
      completed.push({
        cardId: card.cardId,
        lockMs: round(answered - t0),
        denyMs: round(deniedAt - answered),
        polls,
        sameInstanceDenied: a1.status === 200 && a1.body.includes('"card_not_active"'),
      });
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    agentA.destroy();
    agentB.destroy();
  }
  const deny = completed.map((t) => t.denyMs);
  return {
    trials: cards.length,
    completed,
    failed,
    denyMs: { ...summarize(deny), min: deny.length ? Math.min(...deny) : NaN },
    lockMs: summarize(completed.map((t) => t.lockMs)),
    deniedOnFirstPoll: completed.filter((t) => t.polls === 1).length,
    sameInstanceDenied: completed.filter((t) => t.sameInstanceDenied).length,
    checkRoundTripMs: summarize(roundTrips),
  };
}

/** One POST over a kept-alive agent; the answer's status and body text. */
export function post(agent: Agent, baseUrl: string, path: string, authorization: string, body: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
