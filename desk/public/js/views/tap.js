// @ts-check
import { api, ApiError } from '../api.js';
import { confirmAction, h, outcomeBox, showOutcome, when } from '../dom.js';
import { errorText } from '../errors.js';
import { t } from '../i18n.js';
import { currentCard, redrawMain, refreshCards, state } from '../state.js';

/**
 * The reader panel: the last tap and what can be done with it right here, so issuing
 * or replacing is one click from the tap.
 */
export function renderTap(/** @type {HTMLElement} */ root) {
  const tap = state.tap;
  const parts = [h('h2', { id: 'tap-heading' }, t('tap.heading')), h('p', { class: `link link-${state.link}`, role: 'status' }, t(`link.${state.link}`))];
  if (!tap) {
    parts.push(h('p', { class: 'tap-waiting' }, t('tap.waiting')));
    root.replaceChildren(...parts);
    return;
  }
  const card = tap.card;
  parts.push(
    h(
      'div',
      { class: `tap-card ${card ? `tap-${card.status}` : 'tap-blank'}`, 'data-testid': 'tap-card' },
      h('p', { class: 'tap-what' }, card ? t('tap.cardOf', { name: card.resident.name }) : t('tap.blank')),
      card ? h('p', { class: `badge status-${card.status}` }, t(`status.${card.status}`)) : null,
      h('p', { class: 'mono' }, t('tap.uid', { uid: tap.uid })),
      h('p', { class: 'hint' }, t('tap.at', { time: when(tap.at, 'time') })),
    ),
  );
  if (!card) parts.push(...blankCardActions(tap));
  root.replaceChildren(...parts);
}

/** @param {any} tap */
function blankCardActions(tap) {
  if (tap.retired) return [h('p', { class: 'warning' }, t('tap.retired'))];
  const resident = state.resident;
  if (!resident) return [h('p', {}, t('tap.needResident'))];
  const out = outcomeBox();
  const old = currentCard();
  if (!old) {
    const issue = h('button', { type: 'button', 'data-action': 'issue' }, t('tap.issueTo', { name: resident.name }));
    issue.addEventListener('click', () => run(out, issue, () => issueCard(tap.uid)));
    return [issue, out];
  }
  const reasonId = 'replace-reason';
  const select = /** @type {HTMLSelectElement} */ (
    h('select', { id: reasonId }, ...['lost', 'stolen', 'damaged'].map((r) => h('option', { value: r, selected: r === (old.lockReason ?? 'damaged') }, t(`reason.${r}`))))
  );
  const replace = h('button', { type: 'button', 'data-action': 'replace' }, t('tap.replaceFor', { name: resident.name }));
  replace.addEventListener('click', async () => {
    const ok = await confirmAction([t('card.replaceConfirm', { name: resident.name, old: old.uid, uid: tap.uid })]);
    if (ok) await run(out, replace, () => replaceCard(old.id, tap.uid, select.value));
  });
  return [h('div', { class: 'field' }, h('label', { for: reasonId }, t('tap.replaceReason')), select), replace, out];
}

/**
 * @param {HTMLElement} out
 * @param {HTMLElement} button
 * @param {() => Promise<string>} work resolves to the sentence to show
 */
async function run(out, button, work) {
  button.setAttribute('disabled', '');
  showOutcome(out, { kind: 'busy', text: t('busy') });
  try {
    // This panel is redrawn by the card refresh: the result is said in the card tab, where focus goes.
    redrawMain('card', { kind: 'ok', text: await work() });
  } catch (err) {
    button.removeAttribute('disabled');
    showOutcome(out, { kind: 'error', text: errorText(err instanceof ApiError ? err : { code: 'internal_error' }) });
  }
}

/** @param {string} uid */
async function issueCard(uid) {
  const card = await api('POST', '/v1/cards', { residentId: state.resident.id, uid });
  await refreshCards();
  return t('card.issued', { uid: card.uid });
}

/** @param {string} oldId @param {string} uid @param {string} reason */
async function replaceCard(oldId, uid, reason) {
  const card = await api('POST', `/v1/cards/${oldId}/replace`, { uid, reason });
  await refreshCards();
  return t('card.replaced', { uid: card.uid });
}
