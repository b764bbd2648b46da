// @ts-check
import { lang, t } from './i18n.js';

/**
 * Builds an element. Text is always inserted as text: nothing from the service or
 * from a card ever becomes markup.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs] `on*` functions become listeners, `class` the class, false/null are skipped
 * @param {...(Node | string | number | null | undefined | false | (Node | string | null | undefined | false)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (name === 'class') el.className = String(value);
    else if (name === 'value') /** @type {HTMLInputElement} */ (el).value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

let ids = 0;
export const uniqueId = (/** @type {string} */ prefix) => `${prefix}-${++ids}`;

/**
 * A labelled input with its hint and error line, tied together for screen readers.
 * @param {{ label: string, name: string, hint?: string, required?: boolean, attrs?: Record<string, unknown> }} spec
 */
export function field({ label, name, hint, required, attrs = {} }) {
  const id = uniqueId(name);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = /** @type {HTMLInputElement} */ (
    h('input', { id, name, type: 'text', required: required ?? false, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attrs })
  );
  const error = h('p', { id: errorId, class: 'field-error', 'aria-live': 'polite' });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('p', { id: hintId, class: 'hint' }, hint) : null, input, error);
  /** @param {string} message */
  const setError = (message) => {
    error.textContent = message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  return { wrap, input, setError };
}

/** "¥1,234.50" from the service's "1234.50"; the sign is kept. */
export function yuan(/** @type {string} */ amount) {
  const negative = amount.startsWith('-');
  const [whole, fraction = '00'] = amount.replace('-', '').split('.');
  return `${negative ? '-' : ''}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction.padEnd(2, '0')}`;
}

/** Times are shown as the desk lives them: Shanghai time. */
export function when(/** @type {string} */ iso, /** @type {'time' | 'datetime' | 'date'} */ style = 'datetime') {
  /** @type {Intl.DateTimeFormatOptions} */
  const opts =
    style === 'time'
      ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
      : style === 'date'
        ? { year: 'numeric', month: '2-digit', day: '2-digit' }
        : { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  return new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', ...opts }).format(new Date(iso));
}

/** Says something to screen readers without moving focus (taps, results). */
export function announce(/** @type {string} */ text) {
  const live = byId('announcer');
  live.textContent = '';
  // A changed text node is what gets read: clear first so the same sentence twice is read twice.
  setTimeout(() => (live.textContent = text), 50);
}

/**
 * Asks before anything irreversible or money-moving. Enter on the confirm button or
 * Escape to cancel; focus starts on Cancel so a stray Enter never confirms.
 * @param {string[]} lines
 * @returns {Promise<boolean>}
 */
export function confirmAction(lines) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('confirm'));
  const body = byId('confirm-body');
  body.replaceChildren(...lines.map((line) => h('p', {}, line)));
  byId('confirm-heading').textContent = t('confirm.heading');
  const ok = byId('confirm-ok');
  const cancel = byId('confirm-cancel');
  ok.textContent = t('confirm.ok');
  cancel.textContent = t('confirm.cancel');
  // A second click while a question is open is not a second answer.
  if (dialog.open) return Promise.resolve(false);
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  return new Promise((resolve) => {
    const done = (/** @type {boolean} */ answer) => {
      ok.removeEventListener('click', yes);
      cancel.removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = (/** @type {Event} */ e) => {
      e.preventDefault();
      done(false);
    };
    ok.addEventListener('click', yes);
    cancel.addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
    cancel.focus();
  });
}

/**
 * The outcome line under a form: a result from the service, or an error in plain
 * words, with a Retry button when the outcome is unknown.
 * @param {HTMLElement} box
 * @param {{ kind: 'ok' | 'error' | 'busy', text: string, retry?: () => void }} outcome
 */
export function showOutcome(box, outcome) {
  box.className = `outcome outcome-${outcome.kind}`;
  box.setAttribute('role', outcome.kind === 'error' ? 'alert' : 'status');
  const parts = [h('p', {}, outcome.text)];
  if (outcome.retry) parts.push(h('button', { type: 'button', class: 'secondary', onclick: outcome.retry }, t('retry')));
  box.replaceChildren(...parts);
  if (outcome.kind !== 'busy') box.focus();
}

/** An empty outcome box, focusable so a result can take focus. */
export const outcomeBox = () => h('div', { class: 'outcome', tabindex: '-1' });
