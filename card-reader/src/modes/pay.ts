import { randomUUID } from 'node:crypto';
import { errorCode, errorMessage, NetworkError, type ApiAnswer } from '../http';
import type { Tap } from '../reader-bridge';
import { DEFAULT_DELAYS_MS, GaveUp, retrying, type Outcome } from '../retry';
import { fatalIfUnauthorized, type ModeContext, type TapMode } from './mode';

const DECLINES = new Set(['unknown_card', 'card_not_active', 'insufficient_funds']);

interface Approved {
  id: string;
  status: 'approved';
  amount: string;
  cardId: string;
  funding: unknown[];
  balance: { cash: string; subsidy: string };
}

/** No answer yet, or one worth asking again for: the same key will get the one outcome. */
export function retryablePayment(outcome: Outcome<ApiAnswer<unknown>>): boolean {
  if (!outcome.ok) return outcome.error instanceof NetworkError;
  const { status } = outcome.value;
  return status >= 500 || status === 429 || (status === 409 && errorCode(outcome.value) === 'idempotency_key_in_progress');
}

/**
 * pay: every tap charges the card `--amount` (merchant key). Each tap gets an
 * Idempotency-Key; every retry of it, after a timeout, a cut connection or a 5xx, sends
 * the same key, so the service charges at most once and answers the retry with the
 * first outcome. A payment still unanswered after --retry-for is reported UNCONFIRMED
 * and its key kept: the next tap of the same card resends it rather than charging anew.
 */
export function payMode(ctx: ModeContext): TapMode {
  const { api, out, options } = ctx;
  const amount = options.amount!;
  const unconfirmed = new Map<string, string>();

  async function onTap(tap: Tap): Promise<'continue'> {
    const key = unconfirmed.get(tap.uid) ?? `card-reader-${randomUUID()}`;
    const body = { uid: tap.uid, amount, ...(options.description ? { description: options.description } : {}) };
    let answer: ApiAnswer<Record<string, unknown>>;
    let attempts: number;
    try {
      ({ value: answer, attempts } = await retrying(
        () => api.call('POST', '/v1/payments', { body, idempotencyKey: key }),
        retryablePayment,
        { retryForMs: options.retryForMs, delaysMs: DEFAULT_DELAYS_MS, signal: ctx.signal },
        (n, o) => out.status('retrying', { uid: tap.uid, idempotencyKey: key, attempt: n, reason: reason(o) }, `… ${tap.uid}: no answer (${reason(o)}); retrying with the same Idempotency-Key`),
      ));
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
      unconfirmed.set(tap.uid, key);
      out.result(
        'payment',
        { result: 'unconfirmed', uid: tap.uid, amount, idempotencyKey: key, attempts: err.attempts },
        `UNCONFIRMED ${tap.uid} ${amount}: no answer from the service after ${err.attempts} attempts. ` +
          'It may or may not have been charged: tap the same card again to finish this payment (it will not be charged twice).',
      );
      return 'continue';
    }
    unconfirmed.delete(tap.uid);
    const common = { uid: tap.uid, reader: tap.reader, amount, idempotencyKey: key, attempts, replayed: answer.replayed };
    if (answer.status === 201) {
      const p = answer.body as unknown as Approved;
      out.result('payment', { result: 'approved', ...common, paymentId: p.id, cardId: p.cardId, funding: p.funding, balance: p.balance }, `APPROVED ${tap.uid} ${amount}  left: cash ${p.balance.cash}, subsidy ${p.balance.subsidy}`);
      return 'continue';
    }
    fatalIfUnauthorized(answer, 'take payments');
    const code = errorCode(answer);
    if (answer.status === 402 && code && DECLINES.has(code)) {
      out.result('payment', { result: 'declined', ...common, reason: code, paymentId: answer.body.paymentId }, `DECLINED ${tap.uid} ${amount}  ${code}`);
      return 'continue';
    }
    out.result('payment', { result: 'error', ...common, status: answer.status, reason: code ?? 'error', message: errorMessage(answer) }, `ERROR ${tap.uid} ${amount}  ${errorMessage(answer)}`);
    return 'continue';
  }

  return { prompt: `Tap a card to pay ${amount}…`, onTap };
}

function reason(o: Outcome<ApiAnswer<unknown>>): string {
  return o.ok ? errorMessage(o.value) : (o.error as Error).message;
}
