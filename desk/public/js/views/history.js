// @ts-check
import { api } from '../api.js';
import { h, when } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../state.js';
import { statusText } from './resident.js';

/** Who did what to each of the resident's cards, when, and why; newest card first. */
export async function renderHistory(/** @type {HTMLElement} */ panel) {
  panel.append(h('h3', {}, t('history.heading')));
  if (state.cards.length === 0) {
    panel.append(h('p', {}, t('history.none')));
    return;
  }
  const histories = await Promise.all(state.cards.map((c) => api('GET', `/v1/cards/${c.id}/history?limit=500`)));
  state.cards.forEach((card, i) => {
    const captionId = `history-${card.id}`;
    const items = [...histories[i].items].reverse();
    panel.append(
      h(
        'table',
        { 'aria-labelledby': captionId, 'data-testid': 'history' },
        h('caption', { id: captionId }, t('history.cardLabel', { uid: card.uid, status: statusText(card) })),
        h('thead', {}, h('tr', {}, ...['col.time', 'col.action', 'col.change', 'col.reason', 'col.by'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h(
          'tbody',
          {},
          ...items.map((/** @type {any} */ e) =>
            h(
              'tr',
              {},
              h('td', {}, when(e.at)),
              h('td', {}, t(`action.${e.action}`)),
              h('td', {}, `${e.fromStatus ? t(`status.${e.fromStatus}`) : '—'} → ${t(`status.${e.toStatus}`)}`),
              h('td', {}, e.reason ? reasonText(e.reason) : '—'),
              h('td', {}, e.by.name),
            ),
          ),
        ),
      ),
    );
  });
}

/** @param {string} reason */
function reasonText(reason) {
  const text = t(`reason.${reason}`);
  return text === `reason.${reason}` ? reason : text;
}
