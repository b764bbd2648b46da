// @ts-check
import { api, moneyCall } from '../api.js';
import { perform } from '../actions.js';
import { h, outcomeBox, showOutcome, when, yuan } from '../dom.js';
import { chineseAmount } from '../capitals.js';
import { errorText } from '../errors.js';
import { lang, t } from '../i18n.js';
import { currentCard, refreshCards, state, update } from '../state.js';
import { renderBills } from './bills.js';
import { renderDonate } from './donate.js';
import { renderHistory } from './history.js';
import { renderMoney } from './money.js';

/** @typedef {import('../state.js').Flash} Flash */

const TABS = /** @type {const} */ (['card', 'money', 'bills', 'donate', 'history']);
/** @type {Record<string, (panel: HTMLElement, out: HTMLElement) => Promise<void>>} */
const RENDER = { card: renderCard, money: renderMoney, bills: renderBills, donate: renderDonate, history: renderHistory };

/**
 * The resident being served: who they are, then one tab per desk task.
 * @param {HTMLElement} main
 * @param {Flash} [flash] the result of the action that led here
 */
export function renderResident(main, flash) {
  const r = state.resident;
  const address = [r.address.community, r.address.building, r.address.unit, r.address.room].filter(Boolean).join(' ');
  const card = currentCard();
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, t('resident.idNumber')), h('dd', { class: 'mono' }, r.idNumberMasked),
    h('dt', {}, t('resident.birthDate')), h('dd', {}, r.birthDate),
    h('dt', {}, t('resident.phone')), h('dd', {}, r.phoneMasked ?? '—'),
    h('dt', {}, t('resident.address')), h('dd', {}, address),
    h('dt', {}, t('resident.tags')), h('dd', {}, r.tags.map(tagText).join(lang() === 'zh' ? '、' : ', ') || '—'),
    h('dt', {}, t('resident.card')),
    h('dd', {}, card ? [h('span', { class: 'mono' }, card.uid), ' ', h('span', { class: `badge status-${card.status}` }, statusText(card))] : t('resident.noCard')),
  );
  const tablist = h('div', { role: 'tablist', 'aria-label': t('tabs.label'), class: 'tabs' });
  const panel = h('section', { role: 'tabpanel', id: 'tab-panel', class: 'tab-panel', tabindex: '-1' });
  const buttons = TABS.map((name) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': 'tab-panel', 'aria-selected': String(state.tab === name), tabindex: state.tab === name ? '0' : '-1', onclick: () => select(name) }, t(`tabs.${name}`)),
  );
  tablist.append(...buttons);
  // Arrow keys move between tabs (the ARIA tabs pattern); Tab goes on into the panel.
  tablist.addEventListener('keydown', (e) => {
    const i = TABS.indexOf(state.tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    select(TABS[next]);
    buttons[next].focus();
  });
  /** @param {typeof TABS[number]} name */
  function select(name) {
    update({ tab: name });
    buttons.forEach((b, i) => {
      b.setAttribute('aria-selected', String(TABS[i] === name));
      b.setAttribute('tabindex', TABS[i] === name ? '0' : '-1');
    });
    void show(panel);
  }
  main.replaceChildren(h('h2', { id: 'resident-name', class: 'resident-name' }, r.name), facts, tablist, panel);
  void show(panel, flash);
}

/** @param {HTMLElement} panel @param {Flash} [flash] */
async function show(panel, flash) {
  panel.setAttribute('aria-labelledby', `tab-${state.tab}`);
  const out = outcomeBox();
  panel.replaceChildren(out);
  if (flash) showOutcome(out, flash);
  try {
    await RENDER[state.tab](panel, out);
  } catch (err) {
    showOutcome(out, { kind: 'error', text: errorText(/** @type {any} */ (err)) });
  }
}

/** Known tags in words; others (slugs an administrator made up) as they are. */
function tagText(/** @type {string} */ tag) {
  const key = { dibao: 'reg.tag.dibao', disabled: 'reg.tag.disabled', elderly_alone: 'reg.tag.elderly' }[tag];
  return key ? t(key) : tag;
}

/** @param {any} card */
export function statusText(card) {
  return card.status === 'locked' && card.lockReason ? `${t('status.locked')}（${t(`reason.${card.lockReason}`)}）` : t(`status.${card.status}`);
}

/** The card tab: its state and what can be done to it (replacing starts with a tap). */
async function renderCard(/** @type {HTMLElement} */ panel, /** @type {HTMLElement} */ out) {
  const card = currentCard();
  if (!card) {
    panel.append(h('p', {}, t('resident.noCard')));
    return;
  }
  panel.append(
    h('dl', { class: 'facts' },
      h('dt', {}, t('card.uid')), h('dd', { class: 'mono' }, card.uid),
      h('dt', {}, t('card.status')), h('dd', {}, h('span', { class: `badge status-${card.status}` }, statusText(card))),
      h('dt', {}, t('card.issuedAt')), h('dd', {}, when(card.issuedAt)),
    ),
  );
  const actions = h('div', { class: 'actions' });
  if (card.status === 'active') {
    const reason = /** @type {HTMLSelectElement} */ (h('select', { id: 'lock-reason' }, ...['lost', 'stolen', 'suspended'].map((r) => h('option', { value: r }, t(`reason.${r}`)))));
    const lock = h('button', { type: 'button', class: 'danger', 'data-action': 'lock' }, t('card.lock'));
    lock.addEventListener('click', () =>
      perform({ out, button: lock, call: () => api('POST', `/v1/cards/${card.id}/lock`, { reason: reason.value }), done: async () => (await refreshCards(), t('card.locked')) }),
    );
    actions.append(h('div', { class: 'field' }, h('label', { for: 'lock-reason' }, t('card.lockReason')), reason), lock);
  } else {
    const unlock = h('button', { type: 'button', 'data-action': 'unlock' }, t('card.unlock'));
    unlock.addEventListener('click', () =>
      perform({ out, button: unlock, call: () => api('POST', `/v1/cards/${card.id}/unlock`), done: async () => (await refreshCards(), t('card.unlocked')) }),
    );
    actions.append(unlock);
  }
  const close = h('button', { type: 'button', class: 'danger', 'data-action': 'close' }, t('card.close'));
  close.addEventListener('click', async () => {
    // What will be paid out is read from the service when asked, not remembered from earlier.
    let balance;
    close.setAttribute('disabled', '');
    try {
      balance = await api('GET', `/v1/cards/${card.id}/balance`);
    } catch (err) {
      showOutcome(out, { kind: 'error', text: errorText(/** @type {any} */ (err)) });
      return;
    } finally {
      close.removeAttribute('disabled');
    }
    const subsidy = balance.subsidies.reduce((/** @type {number} */ sum, /** @type {any} */ s) => sum + Math.round(Number(s.balance) * 100), 0);
    await perform({
      out,
      button: close,
      confirm: [t('card.closeConfirm', { cash: yuan(balance.cash), words: chineseAmount(balance.cash), subsidy: yuan((subsidy / 100).toFixed(2)) })],
      call: () => moneyCall(`/v1/cards/${card.id}/close`),
      done: async (result) => (await refreshCards(), t('card.closed', { refunded: yuan(result.refunded), words: chineseAmount(result.refunded) })),
    });
  });
  actions.append(close);
  panel.append(actions, h('p', { class: 'hint' }, t('card.replaceHint')));
}
