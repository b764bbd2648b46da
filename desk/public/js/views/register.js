// @ts-check
import { api, ApiError } from '../api.js';
import { field, h, outcomeBox, showOutcome } from '../dom.js';
import { errorText } from '../errors.js';
import { t } from '../i18n.js';
import { checkIdNumber } from '../id-number.js';
import { openResident, redrawMain, update } from '../state.js';

const TAGS = [
  ['dibao', 'reg.tag.dibao'],
  ['disabled', 'reg.tag.disabled'],
  ['elderly_alone', 'reg.tag.elderly'],
];

/**
 * Registering a resident. The ID number is checked as it is typed and gives the
 * birth date, so the two can never disagree.
 */
export function renderRegister(/** @type {HTMLElement} */ main) {
  const name = field({ label: t('reg.name'), name: 'reg-name', required: true, attrs: { autocomplete: 'off', maxlength: '100' } });
  const idNumber = field({ label: t('reg.idNumber'), name: 'reg-id', required: true, attrs: { autocomplete: 'off', maxlength: '18', class: 'mono', spellcheck: 'false' } });
  const birth = field({ label: t('reg.birthDate'), name: 'reg-birth', attrs: { readonly: true, tabindex: '-1' } });
  const phone = field({ label: t('reg.phone'), name: 'reg-phone', attrs: { autocomplete: 'off', inputmode: 'tel' } });
  const community = field({ label: t('reg.community'), name: 'reg-community', required: true });
  const building = field({ label: t('reg.building'), name: 'reg-building', required: true });
  const unit = field({ label: t('reg.unit'), name: 'reg-unit' });
  const room = field({ label: t('reg.room'), name: 'reg-room' });
  const tags = TAGS.map(([value, key]) => h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'reg-tag', value }), t(key)));
  const out = outcomeBox();
  const submit = h('button', { type: 'submit', 'data-action': 'register-submit' }, t('reg.submit'));

  const status = h('p', { class: 'id-status', id: 'reg-id-status', 'aria-live': 'polite' });
  idNumber.input.setAttribute('aria-describedby', `${idNumber.input.getAttribute('aria-describedby')} reg-id-status`);
  const checkId = () => {
    const check = checkIdNumber(idNumber.input.value);
    birth.input.value = check.birthDate ?? '';
    status.textContent = check.state === 'ok' ? t('id.ok', { date: check.birthDate ?? '' }) : t(`id.${check.state}`, { n: check.value.length, left: check.left ?? 0 });
    status.className = `id-status id-${check.state === 'ok' ? 'ok' : check.state === 'typing' || check.state === 'empty' ? 'typing' : 'bad'}`;
    return check;
  };
  idNumber.input.addEventListener('input', () => {
    checkId();
    idNumber.setError('');
  });

  const form = h(
    'form',
    { class: 'form register', 'aria-labelledby': 'reg-heading', novalidate: true },
    h('h2', { id: 'reg-heading' }, t('reg.heading')),
    name.wrap,
    idNumber.wrap,
    status,
    birth.wrap,
    phone.wrap,
    h('div', { class: 'row' }, community.wrap, building.wrap, unit.wrap, room.wrap),
    h('fieldset', {}, h('legend', {}, t('reg.tags')), ...tags),
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: () => (update({ mode: 'idle' }), redrawMain()) }, t('reg.cancel'))),
    out,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const required = [
      [name, 'reg.name'],
      [community, 'reg.community'],
      [building, 'reg.building'],
    ];
    /** @type {HTMLInputElement | null} */
    let firstBad = null;
    for (const [f, label] of /** @type {[ReturnType<typeof field>, string][]} */ (required)) {
      const empty = f.input.value.trim() === '';
      f.setError(empty ? t('reg.required', { field: t(label) }) : '');
      if (empty) firstBad ??= f.input;
    }
    const check = checkId();
    idNumber.setError(check.state === 'ok' ? '' : t(`id.${check.state}`, { n: check.value.length, left: check.left ?? 0 }));
    if (check.state !== 'ok') firstBad ??= idNumber.input;
    if (firstBad) return firstBad.focus();

    const optional = (/** @type {ReturnType<typeof field>} */ f) => f.input.value.trim() || undefined;
    const body = {
      name: name.input.value.trim(),
      idNumber: check.value,
      birthDate: check.birthDate,
      phone: optional(phone),
      address: { community: community.input.value.trim(), building: building.input.value.trim(), unit: optional(unit), room: optional(room) },
      tags: [...form.querySelectorAll('input[name=reg-tag]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value),
    };
    submit.setAttribute('disabled', '');
    showOutcome(out, { kind: 'busy', text: t('busy') });
    try {
      const resident = await api('POST', '/v1/residents', body);
      await openResident(resident.id);
      redrawMain('card', { kind: 'ok', text: t('reg.done', { name: resident.name }) });
    } catch (err) {
      submit.removeAttribute('disabled');
      showOutcome(out, { kind: 'error', text: errorText(/** @type {any} */ (err)) });
      if (err instanceof ApiError && err.code === 'resident_exists') {
        const open = h('button', { type: 'button', class: 'secondary' }, t('reg.openExisting'));
        open.addEventListener('click', async () => {
          const found = await api('POST', '/v1/residents/lookup', { idNumber: check.value });
          if (found.items[0]) await openResident(found.items[0].id);
        });
        out.append(open);
      }
    }
  });
  main.replaceChildren(form);
  name.input.focus();
}
