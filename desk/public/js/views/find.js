// @ts-check
import { api, ApiError } from '../api.js';
import { field, h, outcomeBox, showOutcome } from '../dom.js';
import { errorText } from '../errors.js';
import { t } from '../i18n.js';
import { checkIdNumber, looksLikeIdNumber } from '../id-number.js';
import { openResident, startRegister } from '../state.js';

/**
 * Find a resident by full ID number (exact, through the POST lookup so the number
 * stays out of URLs) or by part of the name.
 */
export function renderFind(/** @type {HTMLElement} */ root) {
  const query = field({ label: t('find.query'), name: 'find-query', hint: t('find.queryHint'), attrs: { autocomplete: 'off', type: 'search' } });
  const results = h('div', { class: 'results', 'data-testid': 'find-results' });
  const out = outcomeBox();
  const form = h('form', { role: 'search', 'aria-labelledby': 'find-heading', novalidate: true }, query.wrap, h('button', { type: 'submit', 'data-action': 'search' }, t('find.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = query.input.value.trim();
    query.setError('');
    if (!text) return query.input.focus();
    if (looksLikeIdNumber(text) && text.length !== 18) return query.setError(t('find.partialId', { n: text.length }));
    showOutcome(out, { kind: 'busy', text: t('busy') });
    try {
      const found = looksLikeIdNumber(text)
        ? await api('POST', '/v1/residents/lookup', { idNumber: checkIdNumber(text).value })
        : await api('POST', '/v1/desk/residents/search', { name: text });
      showList(found.items);
      out.replaceChildren();
      out.className = 'outcome';
    } catch (err) {
      // A malformed ID number is refused by the service as bad input: say what is wrong with it.
      if (err instanceof ApiError && err.code === 'validation_failed' && looksLikeIdNumber(text)) {
        out.replaceChildren();
        return query.setError(t(`id.${checkIdNumber(text).state}`));
      }
      showOutcome(out, { kind: 'error', text: errorText(/** @type {any} */ (err)) });
    }
  });

  /** @param {any[]} items */
  function showList(items) {
    const summary = h('p', { role: 'status' }, items.length ? t('find.found', { n: items.length }) : t('find.none'));
    const list = h(
      'ul',
      { class: 'result-list' },
      ...items.map((r) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'link-button', onclick: () => openResident(r.id).catch((err) => showOutcome(out, { kind: 'error', text: errorText(err) })) },
            h('strong', {}, r.name),
            ' ',
            h('span', { class: 'mono' }, r.idNumberMasked),
            ' ',
            [r.address.community, r.address.building, r.address.room].filter(Boolean).join(' '),
          ),
        ),
      ),
    );
    results.replaceChildren(summary, list);
  }

  root.replaceChildren(
    h('h2', { id: 'find-heading' }, t('find.heading')),
    form,
    out,
    results,
    h('button', { type: 'button', class: 'secondary', 'data-action': 'register', onclick: startRegister }, t('find.register')),
  );
}
