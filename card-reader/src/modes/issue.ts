import { decodeCardData, encodeCardData, layoutForAtr, type Layout } from '../card-data';
import { errorCode, errorMessage, NetworkError, type ApiAnswer } from '../http';
import type { Tap } from '../reader-bridge';
import { DEFAULT_DELAYS_MS, GaveUp, retrying } from '../retry';
import { cardByUid, type CardView } from './cards';
import { fatalIfUnauthorized, FatalError, type ModeContext, type TapMode } from './mode';

/** This card cannot be used for it; another card (or the same one again) can. */
class TapProblem extends Error {}

/**
 * issue: the first usable tap gets a card issued (or a replacement), its data written
 * and read back, and ends the program. A tap that fails half-way (the card taken away
 * during the write, the answer lost on the network) is finished by tapping the same card
 * again: the service then says the UID is in use, and if the card holding it is the one
 * we meant to issue, the bridge carries on with it instead of issuing another.
 */
export async function issueMode(ctx: ModeContext): Promise<TapMode> {
  const { api, options } = ctx;
  const replacing = options.replaceCardId;
  if (replacing) {
    const old = await setupGet<CardView>(ctx, `/v1/cards/${replacing}`, `card ${replacing}`);
    if (old.status !== 'active' && old.status !== 'locked') throw new FatalError(`card ${replacing} is ${old.status}: only an active or locked card can be replaced`);
    if (options.residentId && old.residentId !== options.residentId) throw new FatalError(`card ${replacing} belongs to resident ${old.residentId}, not ${options.residentId}`);
  } else {
    await setupGet(ctx, `/v1/residents/${options.residentId}`, `resident ${options.residentId}`);
  }

  const intended = (card: CardView) => (replacing ? card.replacesCardId === replacing : card.residentId === options.residentId && card.status === 'active');

  async function obtain(uid: string): Promise<CardView> {
    const answer = await retrying(
      () =>
        replacing
          ? api.call<CardView>('POST', `/v1/cards/${replacing}/replace`, { body: { uid, reason: options.reason } })
          : api.call<CardView>('POST', '/v1/cards', { body: { residentId: options.residentId, uid } }),
      (o) => (o.ok ? o.value.status >= 500 : o.error instanceof NetworkError),
      { retryForMs: 10_000, delaysMs: DEFAULT_DELAYS_MS, signal: ctx.signal },
    )
      .then((r) => r.value)
      .catch((err) => {
        throw err instanceof GaveUp ? new TapProblem(`the service did not answer (${describe(err.last)}); tap the same card again`) : err;
      });
    if (answer.status === 201) return answer.body;
    fatalIfUnauthorized(answer, replacing ? 'replace cards' : 'issue cards');
    if (answer.status === 409) {
      const holder = await cardByUid(api, uid);
      if (holder && intended(holder)) return holder;
      if (errorCode(answer) === 'uid_in_use') {
        throw new TapProblem(`this card is already in use${holder ? ` (card ${holder.id}, ${holder.status})` : ''}: use a blank card`);
      }
      throw new FatalError(errorMessage(answer));
    }
    if (answer.status === 400) throw new TapProblem(`the service refused this card's UID: ${errorMessage(answer)}`);
    throw new FatalError(errorMessage(answer));
  }

  async function onTap(tap: Tap): Promise<'done' | 'continue'> {
    const { out, bridge } = ctx;
    const layout = layoutForAtr(tap.atr);
    if (!layout) {
      out.result('refused', { uid: tap.uid, reader: tap.reader, reason: 'unsupported_card' }, `REFUSED ${tap.uid}: this kind of card cannot hold the card data (MIFARE Classic or Ultralight/NTAG needed); use another card`);
      return 'continue';
    }
    let card: CardView;
    try {
      card = await obtain(tap.uid);
    } catch (err) {
      if (!(err instanceof TapProblem || err instanceof NetworkError)) throw err;
      out.result('refused', { uid: tap.uid, reader: tap.reader, reason: err.message }, `REFUSED ${tap.uid}: ${err.message}`);
      return 'continue';
    }
    const written = await writeData(ctx, tap, layout, card);
    if (!written.ok) {
      out.error(
        'write-failed',
        { uid: tap.uid, cardId: card.id, reason: written.reason },
        `card ${card.id} is issued to this UID, but its data is not on the card (${written.reason}): tap the same card again and hold it still`,
      );
      return 'continue';
    }
    const blocks = `${layout.kind === 'classic' ? 'blocks' : 'pages'} ${layout.firstBlock}-${layout.firstBlock + layout.blocks - 1}`;
    const what = replacing ? `REPLACED card ${replacing} (${options.reason}) with card ${card.id}` : `ISSUED card ${card.id}`;
    out.result(
      'issued',
      { card, uid: tap.uid, reader: tap.reader, data: { layout: layout.kind, firstBlock: layout.firstBlock, blocks: layout.blocks, verified: true } },
      `${what}  uid ${card.uid}  resident ${card.residentId}  ${card.status}; data written to ${blocks} and verified`,
    );
    return 'done';
  }

  return {
    prompt: replacing ? `Tap the new card to replace card ${replacing}…` : `Tap a blank card to issue it to resident ${options.residentId}…`,
    onTap,
  };
}

async function writeData(ctx: ModeContext, tap: Tap, layout: Layout, card: CardView): Promise<{ ok: true } | { ok: false; reason: string }> {
  const data = encodeCardData(tap.uid, card.id);
  let back: Buffer;
  try {
    back = await ctx.bridge.op({ kind: 'write', reader: tap.reader, layout, data: data.toString('hex'), mifareKey: ctx.options.mifareKey });
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const decoded = decodeCardData(back, tap.uid);
  if (!decoded.ok) return { ok: false, reason: `read back: ${decoded.problem}` };
  if (decoded.cardId !== card.id) return { ok: false, reason: `read back card ${decoded.cardId}` };
  return { ok: true };
}

/** Before any tap: what the command names must exist, and the service must be there. */
async function setupGet<T>(ctx: ModeContext, path: string, what: string): Promise<T> {
  let answer: ApiAnswer<T>;
  try {
    answer = await ctx.api.call<T>('GET', path);
  } catch (err) {
    throw new FatalError(`cannot check ${what} at ${ctx.api.baseUrl}: ${(err as Error).message}`);
  }
  fatalIfUnauthorized(answer, `read ${what}`);
  if (answer.status === 404) throw new FatalError(`there is no ${what}`);
  if (answer.status !== 200) throw new FatalError(`cannot check ${what}: ${errorMessage(answer)}`);
  return answer.body;
}

function describe(last: unknown): string {
  if (last instanceof Error) return last.message;
  const answer = last as ApiAnswer<unknown>;
  return typeof answer?.status === 'number' ? errorMessage(answer) : String(last);
}
