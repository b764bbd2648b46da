// @ts-check
import { api, moneyCall } from '../api.js';
import { perform } from '../actions.js';
import { chineseAmount } from '../capitals.js';
import { h, yuan } from '../dom.js';
import { t } from '../i18n.js';
import { currentCard, state } from '../state.js';

/** The resident's unpaid bills, each paid from the card's cash with one confirmed click. */
export async function renderBills(/** @type {HTMLElement} */ panel, /** @type {HTMLElement} */ out) {
  const card = currentCard();
  const bills = (await api('GET', `/v1/residents/${state.resident.id}/bills?status=unpaid&limit=100`)).items;
  panel.append(h('h3', { id: 'bills-heading' }, t('bills.heading')));
  if (bills.length === 0) {
    panel.append(h('p', {}, t('bills.none')));
    return;
  }
  const rows = bills.map((/** @type {any} */ bill) => {
    const payee = t(`payee.${bill.payee}`);
    const pay = h('button', { type: 'button', 'data-action': 'pay-bill', 'aria-label': t('bills.payLabel', { payee, amount: yuan(bill.amount) }), disabled: !card || card.status !== 'active' }, t('bills.pay'));
    pay.addEventListener('click', () =>
      perform({
        out,
        button: pay,
        confirm: [t('bills.confirm', { name: state.resident.name, payee, amount: yuan(bill.amount), words: chineseAmount(bill.amount), reference: bill.reference })],
        call: () => moneyCall(`/v1/bills/${bill.id}/payments`, { cardId: card.id }),
        done: (result) => t('bills.paid', { payee, amount: yuan(result.amount) }),
      }),
    );
    return h(
      'tr',
      {},
      h('td', {}, payee),
      h('td', { class: 'num' }, yuan(bill.amount)),
      h('td', {}, bill.dueDate, bill.overdue ? [' ', h('span', { class: 'badge status-locked' }, t('bills.overdue'))] : null),
      h('td', { class: 'mono' }, bill.reference),
      h('td', {}, pay),
    );
  });
  panel.append(
    h(
      'table',
      { 'aria-labelledby': 'bills-heading' },
      h('thead', {}, h('tr', {}, ...['bills.payee', 'col.amount', 'bills.due', 'bills.reference'].map((k) => h('th', { scope: 'col' }, t(k))), h('td', {}))),
      h('tbody', {}, ...rows),
    ),
  );
}
