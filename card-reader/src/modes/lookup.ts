import { errorMessage, NetworkError } from '../http';
import { maskName } from '../output';
import type { Tap } from '../reader-bridge';
import { cardByUid } from './cards';
import { fatalIfUnauthorized, type ModeContext, type TapMode } from './mode';

interface Balance {
  cash: string;
  subsidies: { programId: string; name: string; balance: string; expiresAt: string | null }[];
  total: string;
}

/** lookup: every tap prints the card's status, the holder's masked name and the balance (operator or admin key). */
export function lookupMode(ctx: ModeContext): TapMode {
  const { api, out } = ctx;

  async function onTap(tap: Tap): Promise<'continue'> {
    try {
      const card = await cardByUid(api, tap.uid);
      if (!card) {
        out.result('lookup', { uid: tap.uid, reader: tap.reader, found: false }, `${tap.uid}  unknown card`);
        return 'continue';
      }
      const [resident, balance] = await Promise.all([
        api.call<{ name?: string }>('GET', `/v1/residents/${card.residentId}`),
        api.call<Balance>('GET', `/v1/cards/${card.id}/balance`),
      ]);
      fatalIfUnauthorized(resident, 'read residents');
      fatalIfUnauthorized(balance, 'read balances');
      const name = resident.status === 200 && typeof resident.body.name === 'string' ? maskName(resident.body.name) : '?';
      const money = balance.status === 200 ? balance.body : null;
      const lock = card.status === 'locked' && card.lockReason ? ` (${card.lockReason})` : '';
      const subsidies = money?.subsidies.map((s) => `${s.name} ${s.balance}`).join(', ');
      out.result(
        'lookup',
        { uid: tap.uid, reader: tap.reader, found: true, cardId: card.id, status: card.status, lockReason: card.lockReason, name, balance: money },
        `${tap.uid}  ${card.status}${lock}  ${name}  ` +
          (money ? `balance ${money.total} (cash ${money.cash}${subsidies ? `; ${subsidies}` : ''})` : `balance unavailable: ${errorMessage(balance)}`),
      );
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      out.error('lookup-failed', { uid: tap.uid, reason: err.message }, `${tap.uid}  lookup failed: ${err.message}; tap again`);
    }
    return 'continue';
  }

  return { prompt: 'Tap a card to look it up…', onTap };
}
