// @ts-check
import { api, ApiError, session, setSession, whenUnauthorized } from './api.js';
import { announce, byId, field, h, outcomeBox, showOutcome } from './dom.js';
import { errorText } from './errors.js';
import { lang, setLang, t } from './i18n.js';
import { onShowMain, openResident, refreshCards, state, update, watch } from './state.js';
import { watchStation } from './taps.js';
import { renderFind } from './views/find.js';
import { renderRegister } from './views/register.js';
import { renderResident, statusText } from './views/resident.js';
import { renderTap } from './views/tap.js';

const STATION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** @type {(() => void) | undefined} */
let stopWatching;

setLang(localStorage.getItem('desk.lang') === 'en' ? 'en' : 'zh');
whenUnauthorized(() => signOut(errorText({ code: 'unauthorized' })));
onShowMain(drawMain);
watch(() => {
  if (!session()) return;
  // The reader panel follows every change; keep the keyboard where it was in it.
  const panel = byId('tap');
  const focused = document.activeElement;
  const mark = focused && panel.contains(focused) ? (focused.id ? `#${focused.id}` : focused.getAttribute('data-action') && `[data-action="${focused.getAttribute('data-action')}"]`) : null;
  renderTap(panel);
  if (mark) /** @type {HTMLElement | null} */ (panel.querySelector(mark))?.focus();
});
start();

function start() {
  const s = session();
  renderAll();
  if (!s) return;
  stopWatching?.();
  stopWatching = watchStation({
    station: s.station,
    key: s.key,
    onState: (link) => state.link !== link && update({ link }),
    onTap,
    onUnauthorized: () => signOut(errorText({ code: 'unauthorized' })),
  });
}

/** Draws the whole page in the current language; the station's stream is left alone. */
function renderAll() {
  document.title = t('app.title');
  byId('skip').textContent = t('app.skip');
  if (!session()) return renderSignIn();
  document.body.classList.remove('signed-out');
  renderHeader();
  renderTap(byId('tap'));
  renderFind(byId('find'));
  drawMain();
}

/** A tapped card opens its holder; a blank card waits in the reader panel for Issue or Replace. */
async function onTap(/** @type {any} */ tap) {
  update({ tap });
  if (!tap.card) return announce(t('tap.announceBlank', { uid: tap.uid }));
  announce(t('tap.announceCard', { name: tap.card.resident.name, status: statusText(tap.card) }));
  // Never swap the resident under an open confirmation: what is being confirmed names the one on screen.
  if (document.querySelector('dialog[open]')) return;
  try {
    if (state.resident?.id === tap.card.resident.id) {
      await refreshCards();
      if (state.mode !== 'resident') await openResident(tap.card.resident.id);
    } else {
      await openResident(tap.card.resident.id, 'card');
    }
  } catch (err) {
    announce(errorText(/** @type {any} */ (err)));
  }
}

/** @param {'card' | 'money' | 'bills' | 'donate' | 'history'} [tab] @param {import('./state.js').Flash} [flash] */
function drawMain(tab, flash) {
  const main = byId('main');
  if (tab) state.tab = tab;
  if (state.mode === 'register') return renderRegister(main);
  if (state.mode === 'resident' && state.resident) {
    return renderResident(main, flash);
  }
  main.replaceChildren(h('h2', {}, t('app.title')), h('p', { class: 'big' }, t('tap.waiting')), h('p', {}, t('home.hint')));
}

function renderHeader() {
  const s = session();
  if (!s) return;
  const langButton = h('button', { type: 'button', class: 'secondary', lang: lang() === 'zh' ? 'en' : 'zh', 'aria-label': t('lang.switchLabel'), 'data-action': 'lang', onclick: switchLang }, t('lang.switch'));
  byId('header').replaceChildren(
    h('h1', {}, t('app.title')),
    h('p', { class: 'station' }, t('header.station', { station: s.station })),
    h('p', { class: 'operator' }, t('header.operator', { name: s.name })),
    h('div', { class: 'header-actions' }, langButton, h('button', { type: 'button', class: 'secondary', 'data-action': 'signout', onclick: () => signOut() }, t('header.signout'))),
  );
}

function switchLang() {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  localStorage.setItem('desk.lang', lang());
  renderAll();
  /** @type {HTMLElement | null} */ (document.querySelector('[data-action=lang]'))?.focus();
}

/** @param {string} [message] why the desk was signed out */
function signOut(message) {
  stopWatching?.();
  stopWatching = undefined;
  setSession(null);
  update({ tap: null, resident: null, cards: [], mode: 'idle', tab: 'card', link: 'connecting' });
  renderSignIn(message);
}

/** @param {string} [message] */
function renderSignIn(message) {
  document.body.classList.add('signed-out');
  byId('tap').replaceChildren();
  byId('find').replaceChildren();
  const langButton = h('button', { type: 'button', class: 'secondary', lang: lang() === 'zh' ? 'en' : 'zh', 'aria-label': t('lang.switchLabel'), 'data-action': 'lang', onclick: switchLang }, t('lang.switch'));
  byId('header').replaceChildren(h('h1', {}, t('app.title')), h('div', { class: 'header-actions' }, langButton));
  const key = field({ label: t('signin.key'), name: 'signin-key', hint: t('signin.keyHint'), required: true, attrs: { type: 'password', autocomplete: 'off', spellcheck: 'false' } });
  const station = field({ label: t('signin.station'), name: 'signin-station', hint: t('signin.stationHint'), required: true, attrs: { autocomplete: 'off', value: localStorage.getItem('desk.station') ?? 'S1' } });
  const out = outcomeBox();
  const submit = h('button', { type: 'submit', 'data-action': 'signin' }, t('signin.submit'));
  const form = h('form', { class: 'form signin', 'aria-labelledby': 'signin-heading', novalidate: true }, h('h2', { id: 'signin-heading' }, t('signin.heading')), key.wrap, station.wrap, submit, out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const k = key.input.value.trim();
    const st = station.input.value.trim();
    key.setError(k ? '' : t('signin.missingKey'));
    station.setError(STATION.test(st) ? '' : t('signin.badStation'));
    if (!k) return key.input.focus();
    if (!STATION.test(st)) return station.input.focus();
    submit.setAttribute('disabled', '');
    try {
      const me = await api('GET', '/v1/desk/me', undefined, { key: k });
      localStorage.setItem('desk.station', st);
      setSession({ key: k, name: me.name, role: me.role, station: st });
      start();
      byId('main').focus();
    } catch (err) {
      submit.removeAttribute('disabled');
      const forbidden = err instanceof ApiError && err.status === 403;
      showOutcome(out, { kind: 'error', text: forbidden ? t('signin.notOperator') : errorText(/** @type {any} */ (err)) });
    }
  });
  byId('main').replaceChildren(form);
  if (message) showOutcome(out, { kind: 'error', text: message });
  else key.input.focus();
}
