// @ts-check
import { api } from './api.js';

/**
 * What the desk is looking at. Parts of the page that only show state (header, reader
 * panel) redraw on every change; the main area redraws only when asked, so a form
 * being filled in is never wiped by a tap elsewhere.
 */
export const state = {
  /** @type {'connecting' | 'live' | 'offline'} */
  link: 'connecting',
  /** @type {any} the last TapView from the station */
  tap: null,
  /** @type {any} the resident being served (ResidentView) */
  resident: null,
  /** @type {any[]} their cards, newest first */
  cards: [],
  /** @type {'card' | 'money' | 'bills' | 'donate' | 'history'} */
  tab: 'card',
  /** @type {'idle' | 'register' | 'resident'} */
  mode: 'idle',
};

/** @type {Set<() => void>} */
const watchers = new Set();

/** @param {() => void} fn */
export function watch(fn) {
  watchers.add(fn);
}

/** @param {Partial<typeof state>} patch */
export function update(patch) {
  Object.assign(state, patch);
  for (const fn of watchers) fn();
}

/** The resident's usable card (active or locked), if any. */
export function currentCard() {
  return state.cards.find((c) => c.status === 'active' || c.status === 'locked') ?? null;
}

/** @typedef {{ kind: 'ok' | 'error', text: string }} Flash a result to show at the top of the redrawn tab */

/** @type {(tab?: typeof state.tab, flash?: Flash) => void} */
let showMain = () => undefined;

/** @param {(tab?: typeof state.tab, flash?: Flash) => void} fn draws the main area */
export function onShowMain(fn) {
  showMain = fn;
}

/** Opens a resident with their cards, on the given tab. */
export async function openResident(/** @type {string} */ id, /** @type {typeof state.tab} */ tab = 'card') {
  const [resident, cards] = await Promise.all([api('GET', `/v1/residents/${id}`), api('GET', `/v1/residents/${id}/cards`)]);
  update({ resident, cards: cards.items, mode: 'resident', tab });
  showMain(tab);
}

/** Re-reads the resident's cards after a card changed, and keeps the last tap's card in step. */
export async function refreshCards() {
  if (!state.resident) return;
  const cards = await api('GET', `/v1/residents/${state.resident.id}/cards`);
  const tap = state.tap;
  // Newest first, so a UID's latest card; a card just closed stays shown as closed, not as blank.
  const tapped = tap && cards.items.find((/** @type {any} */ c) => c.uid === tap.uid);
  update({
    cards: cards.items,
    tap: tap && (tapped ? { ...tap, card: { ...tapped, resident: residentSummary() } } : tap),
  });
}

function residentSummary() {
  return { id: state.resident.id, name: state.resident.name, idNumberMasked: state.resident.idNumberMasked };
}

export function startRegister() {
  update({ mode: 'register' });
  showMain();
}

/** @param {typeof state.tab} [tab] @param {Flash} [flash] */
export function redrawMain(tab, flash) {
  showMain(tab, flash);
}
