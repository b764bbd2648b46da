// @ts-check
import { api, moneyCall } from '../api.js';
import { perform } from '../actions.js';
import { chineseAmount, normalizeAmount } from '../capitals.js';
import { field, h, when, yuan } from '../dom.js';
import { t } from '../i18n.js';
import { currentCard, state } from '../state.js';

const STATEMENT_LINES = 20;

/** Balances (cash, each subsidy with its expiry), the top-up form, and the statement. */
export async function renderMoney(/** @type {HTMLElement} */ panel, /** @type {HTMLElement} */ out) {
  const card = currentCard() ?? state.cards[0];
  if (!card) {
    panel.append(h('p', {}, t('resident.noCard')));
    return;
  }
  const [balance, statement] = await Promise.all([
    api('GET', `/v1/cards/${card.id}/balance`),
    api('GET', `/v1/cards/${card.id}/transactions?limit=${STATEMENT_LINES}`),
  ]);
  panel.append(balances(balance));
  if (card.status === 'active') panel.append(topUpForm(card, out));
  panel.append(statementTable(statement.items));
}

/** @param {any} balance */
function balances(balance) {
  const subsidies = balance.subsidies.length
    ? balance.subsidies.map((/** @type {any} */ s) => h('li', {}, `${s.name}：`, h('strong', {}, yuan(s.balance)), `（${t('money.expires', { date: when(s.expiresAt, 'date') })}）`))
    : [h('li', {}, t('money.noSubsidies'))];
  return h(
    'div',
    { class: 'balances', 'data-testid': 'balances' },
    h('p', { class: 'big' }, `${t('money.cash')}：`, h('strong', { 'data-testid': 'cash' }, yuan(balance.cash))),
    h('p', {}, t('money.subsidies')),
    h('ul', {}, ...subsidies),
    h('p', {}, `${t('money.total')}：`, h('strong', {}, yuan(balance.total))),
  );
}

/** @param {any} card @param {HTMLElement} out */
function topUpForm(card, out) {
  const amount = field({ label: t('money.amount'), name: 'topup-amount', hint: t('money.amountHint'), required: true, attrs: { inputmode: 'decimal', autocomplete: 'off' } });
  const methods = ['cash', 'bank_card', 'mobile'];
  const radios = methods.map((m, i) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'topup-method', value: m, checked: i === 0 }), t(`method.${m}`)),
  );
  const submit = h('button', { type: 'submit', 'data-action': 'topup' }, t('money.topup'));
  const form = h(
    'form',
    { class: 'form', 'aria-labelledby': 'topup-heading', novalidate: true },
    h('h3', { id: 'topup-heading' }, t('money.topup')),
    amount.wrap,
    h('fieldset', {}, h('legend', {}, t('money.method')), ...radios),
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = normalizeAmount(amount.input.value);
    amount.setError(value ? '' : t('money.badAmount'));
    if (!value) return amount.input.focus();
    const method = /** @type {HTMLInputElement} */ (form.querySelector('input[name=topup-method]:checked')).value;
    void perform({
      out,
      button: submit,
      confirm: [t('money.topupConfirm', { name: state.resident.name, amount: yuan(value), words: chineseAmount(value), method: t(`method.${method}`) })],
      call: () => moneyCall('/v1/top-ups', { cardId: card.id, amount: value, method }),
      done: (result) => t('money.toppedUp', { amount: yuan(result.amount), cash: yuan(result.balance.cash) }),
    });
  });
  return form;
}

/** @param {any[]} lines */
function statementTable(lines) {
  const heading = h('h3', { id: 'statement-heading' }, t('money.statement', { n: STATEMENT_LINES }));
  if (lines.length === 0) return h('div', {}, heading, h('p', {}, t('money.noStatement')));
  return h(
    'div',
    {},
    heading,
    h(
      'table',
      { 'aria-labelledby': 'statement-heading' },
      h('thead', {}, h('tr', {}, ...['col.time', 'col.kind', 'col.amount', 'col.wallet'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h(
        'tbody',
        {},
        ...lines.map((l) =>
          h('tr', {}, h('td', {}, when(l.createdAt)), h('td', {}, kindText(l.kind)), h('td', { class: `num ${l.amount.startsWith('-') ? 'out' : 'in'}` }, yuan(l.amount)), h('td', {}, t(`wallet.${l.wallet}`))),
        ),
      ),
    ),
  );
}

/** @param {string} kind */
function kindText(kind) {
  const text = t(`kind.${kind}`);
  return text === `kind.${kind}` ? kind : text;
}
