import { errorMessage, NetworkError, type ApiAnswer } from '../http';
import { maskName } from '../output';
import type { Tap } from '../reader-bridge';
import { DEFAULT_DELAYS_MS, GaveUp, retrying, type Outcome } from '../retry';
import type { CardView } from './cards';
import { fatalIfUnauthorized, FatalError, type ModeContext, type TapMode } from './mode';

/** POST /v1/stations/:id/taps answers with the tap as the station's consoles receive it. */
export interface StationTap {
  station: string;
  uid: string;
  at: string;
  card: (CardView & { resident: { id: string; name: string; idNumberMasked: string } }) | null;
  retired: boolean;
}

/** No answer, or one that may be better next time. A tap report moves no money: resending it is harmless. */
export function retryableTapReport(outcome: Outcome<ApiAnswer<unknown>>): boolean {
  if (!outcome.ok) return outcome.error instanceof NetworkError;
  return outcome.value.status >= 500 || outcome.value.status === 429;
}

/** The line the desk reads: "S1 04A1B2C3D4E5F6 → card <id> active, 张*英", "… → blank card", "… → retired UID". */
export function describeTap(tap: StationTap): string {
  const head = `${tap.station} ${tap.uid} →`;
  if (!tap.card) return tap.retired ? `${head} retired UID (a blank card whose UID was reported lost or stolen: it can never be issued)` : `${head} blank card`;
  const lock = tap.card.status === 'locked' && tap.card.lockReason ? ` (${tap.card.lockReason})` : '';
  return `${head} card ${tap.card.id} ${tap.card.status}${lock}, ${maskName(tap.card.resident.name)}`;
}

/**
 * station: every tap is reported to the service (POST /v1/stations/:id/taps, operator or
 * admin key), which hands it to the desk consoles watching that station. An unanswered
 * report is sent again for --retry-for seconds (default 3), then given up with a message:
 * the operator taps again. Nothing is stored, on either side.
 */
export async function stationMode(ctx: ModeContext): Promise<TapMode> {
  const { api, out, options } = ctx;
  const station = options.stationId!;
  const path = `/v1/stations/${encodeURIComponent(station)}/taps`;

  // A wrong key is better found now than at the first tap; an unreachable service is only a warning.
  try {
    const me = await api.call('GET', '/v1/desk/me');
    fatalIfUnauthorized(me, 'report taps');
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    out.status('service-unreachable', { message: err.message }, `warning: ${err.message}; taps will be reported once it answers`);
  }

  async function onTap(tap: Tap): Promise<'continue'> {
    let answer: ApiAnswer<unknown>;
    let attempts: number;
    try {
      ({ value: answer, attempts } = await retrying(
        () => api.call('POST', path, { body: { uid: tap.uid } }),
        retryableTapReport,
        { retryForMs: options.retryForMs, delaysMs: DEFAULT_DELAYS_MS, signal: ctx.signal },
        (n, o) => out.status('retrying', { station, uid: tap.uid, attempt: n, reason: reason(o) }, `… ${station} ${tap.uid}: ${reason(o)}; retrying`),
      ));
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
      const why = err.last instanceof Error ? err.last.message : errorMessage(err.last as ApiAnswer<unknown>);
      out.error(
        'tap-failed',
        { station, uid: tap.uid, reader: tap.reader, attempts: err.attempts, reason: why },
        `${station} ${tap.uid} → NOT REPORTED: ${why} (${err.attempts} attempt${err.attempts === 1 ? '' : 's'}); tap again`,
      );
      return 'continue';
    }
    if (answer.status === 202) {
      const t = answer.body as StationTap;
      const card = t.card
        ? { id: t.card.id, status: t.card.status, lockReason: t.card.lockReason, residentId: t.card.residentId, name: maskName(t.card.resident.name), idNumberMasked: t.card.resident.idNumberMasked }
        : null;
      out.result(
        'tap',
        { station, uid: t.uid, reader: tap.reader, result: t.card ? 'card' : t.retired ? 'retired' : 'blank', card, retired: t.retired, reportedAt: t.at, attempts },
        describeTap(t),
      );
      return 'continue';
    }
    fatalIfUnauthorized(answer, 'report taps');
    if (answer.status === 404) throw new FatalError(`the service has no station taps (${errorMessage(answer)}): is it older than this bridge?`);
    out.error('tap-failed', { station, uid: tap.uid, reader: tap.reader, attempts, status: answer.status, reason: errorMessage(answer) }, `${station} ${tap.uid} → NOT REPORTED: ${errorMessage(answer)}`);
    return 'continue';
  }

  return { prompt: `Taps on this reader go to the desk console of station ${station}…`, onTap };
}

function reason(o: Outcome<ApiAnswer<unknown>>): string {
  return o.ok ? errorMessage(o.value) : (o.error as Error).message;
}
