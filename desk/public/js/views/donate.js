// @ts-check
import { api, moneyCall } from '../api.js';
import { perform } from '../actions.js';
import { chineseAmount, normalizeAmount } from '../capitals.js';
import { byId, field, h, uniqueId, yuan } from '../dom.js';
import { t } from '../i18n.js';
import { currentCard, state } from '../state.js';

/** The last receipt, kept across the redraw that shows the donation's result. */
let receipt = /** @type {any} */ (null);

/** A donation from the card's cash to a project, then its receipt, printable. */
export async function renderDonate(/** @type {HTMLElement} */ panel, /** @type {HTMLElement} */ out) {
  const card = currentCard();
  if (receipt && receipt.residentId === state.resident.id) panel.append(receiptView(receipt.body));
  const projects = (await api('GET', '/v1/charity-projects?limit=100')).items;
  const heading = h('h3', { id: 'donate-heading' }, t('donate.heading'));
  if (projects.length === 0 || !card || card.status !== 'active') {
    panel.append(heading, h('p', {}, projects.length === 0 ? t('donate.noProjects') : t('resident.noCard')));
    return;
  }
  const projectId = uniqueId('donate-project');
  const select = /** @type {HTMLSelectElement} */ (
    h('select', { id: projectId, name: 'project' }, ...projects.map((/** @type {any} */ p) => h('option', { value: p.id }, `${p.name}（${t('donate.raised', { raised: yuan(p.raised) })}）`)))
  );
  const amount = field({ label: t('money.amount'), name: 'donate-amount', hint: t('money.amountHint'), required: true, attrs: { inputmode: 'decimal', autocomplete: 'off' } });
  const submit = h('button', { type: 'submit', 'data-action': 'donate' }, t('donate.submit'));
  const form = h('form', { class: 'form', 'aria-labelledby': 'donate-heading', novalidate: true }, heading, h('div', { class: 'field' }, h('label', { for: projectId }, t('donate.project')), select), amount.wrap, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = normalizeAmount(amount.input.value);
    amount.setError(value ? '' : t('money.badAmount'));
    if (!value) return amount.input.focus();
    const project = projects.find((/** @type {any} */ p) => p.id === select.value);
    const residentId = state.resident.id;
    void perform({
      out,
      button: submit,
      confirm: [t('donate.confirm', { name: state.resident.name, project: project.name, amount: yuan(value), words: chineseAmount(value) })],
      call: () => moneyCall('/v1/donations', { cardId: card.id, projectId: project.id, amount: value }),
      done: async (result) => {
        receipt = { residentId, body: await api('GET', `/v1/donations/${result.id}/receipt`) };
        return t('donate.done', { receiptNo: result.receiptNo });
      },
    });
  });
  panel.append(form);
}

/** The receipt as the service issued it; the amount in capitals is the service's own. */
function receiptView(/** @type {any} */ r, forPrint = false) {
  const rows = [
    ['receipt.no', r.receiptNo],
    ['receipt.project', r.projectName],
    ['receipt.donor', r.donorName],
    ['receipt.amount', yuan(r.amount)],
    ['receipt.words', r.amountInWords],
    ['receipt.date', r.date],
    ['receipt.transaction', r.transactionId],
  ];
  const print = h('button', { type: 'button', class: 'secondary no-print', 'data-action': 'print' }, t('receipt.print'));
  print.addEventListener('click', () => {
    byId('print-area').replaceChildren(receiptView(r, true));
    window.print();
  });
  return h(
    'article',
    { class: 'receipt', 'aria-labelledby': forPrint ? undefined : 'receipt-title', 'data-testid': forPrint ? 'receipt-print' : 'receipt' },
    h('h3', { id: forPrint ? undefined : 'receipt-title', class: 'receipt-title' }, t('receipt.title')),
    h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', { class: k === 'receipt.words' ? 'words' : '' }, v)])),
    h('p', { class: 'thanks' }, t('receipt.thanks')),
    forPrint ? null : print,
  );
}

