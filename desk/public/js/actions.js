// @ts-check
import { ApiError } from './api.js';
import { confirmAction, showOutcome } from './dom.js';
import { errorText } from './errors.js';
import { t } from './i18n.js';
import { redrawMain, state } from './state.js';

/**
 * One desk action from click to result: confirm (when it moves money or cannot be
 * undone), send, then redraw the tab with the service's answer. Nothing is shown as
 * done before the service says so. When the outcome is unknown (no answer, a 5xx, the
 * first attempt still running) the error offers Retry, which sends the same request
 * with the same Idempotency-Key (see moneyCall).
 * @param {{
 *   out: HTMLElement,
 *   button: HTMLElement,
 *   confirm?: string[],
 *   call: () => Promise<any>,
 *   done: (result: any) => Promise<string> | string,
 *   tab?: typeof state.tab,
 * }} spec
 */
export async function perform({ out, button, confirm, call, done, tab }) {
  if (confirm && !(await confirmAction(confirm))) return;
  const attempt = async () => {
    button.setAttribute('disabled', '');
    showOutcome(out, { kind: 'busy', text: t('busy') });
    let result;
    try {
      result = await call();
    } catch (err) {
      button.removeAttribute('disabled');
      const e = err instanceof ApiError ? err : new ApiError(0, 'internal_error', false);
      const text = e.uncertain ? `${errorText(e)} ${t('retry.safe')}` : errorText(e);
      showOutcome(out, { kind: 'error', text, retry: e.uncertain ? attempt : undefined });
      return;
    }
    // The action is done; the redraw re-reads balances and lists from the service.
    redrawMain(tab ?? state.tab, { kind: 'ok', text: await done(result) });
  };
  await attempt();
}
