// @ts-check
/**
 * Amounts in Chinese capital numerals (大写金额), by the same rules as the service's
 * receipts (src/donations/chinese-amount.ts), so what staff confirm reads like what is
 * printed. Works on the decimal string, never on a float.
 */
const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES = ['', '拾', '佰', '仟'];
const GROUPS = ['', '万', '亿', '万亿'];

/** @param {string} amount "1005.07", "100", "0.5" */
export function chineseAmount(amount) {
  const m = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(amount);
  if (!m) throw new RangeError(`not an amount: ${amount}`);
  const yuan = m[1].replace(/^0+(?=\d)/, '');
  const fraction = (m[2] ?? '').padEnd(2, '0');
  const jiao = Number(fraction[0]);
  const fen = Number(fraction[1]);
  const whole = yuan === '0' ? '' : `${integer(yuan)}元`;
  if (jiao === 0 && fen === 0) return whole === '' ? '零元整' : `${whole}整`;
  if (jiao === 0) return `${whole}${whole === '' ? '' : '零'}${DIGITS[fen]}分`;
  return `${whole}${DIGITS[jiao]}角${fen === 0 ? '' : `${DIGITS[fen]}分`}`;
}

/** @param {string} digits */
function integer(digits) {
  /** @type {number[]} */
  const groups = [];
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(Number(digits.slice(Math.max(0, end - 4), end)));
  let out = '';
  let zeroPending = false;
  groups.forEach((group, i) => {
    if (group === 0) {
      zeroPending = out !== '';
      return;
    }
    if (out !== '' && (zeroPending || group < 1000)) out += '零';
    out += fourDigits(group) + GROUPS[groups.length - 1 - i];
    zeroPending = false;
  });
  return out;
}

/** @param {number} n */
function fourDigits(n) {
  let out = '';
  let zero = false;
  for (let place = 3; place >= 0; place--) {
    const d = Math.floor(n / 10 ** place) % 10;
    if (d === 0) {
      zero = out !== '';
      continue;
    }
    if (zero) out += '零';
    out += DIGITS[d] + PLACES[place];
    zero = false;
  }
  return out;
}

/** The contract's amount: up to ten digits of yuan, up to two decimals, above zero. */
export const AMOUNT = /^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/;

/** "100" → "100.00"; null when it is not an amount above zero. */
export function normalizeAmount(/** @type {string} */ text) {
  const value = text.trim().replace(/^¥/, '');
  if (!AMOUNT.test(value) || /^0(\.0{1,2})?$/.test(value)) return null;
  const [whole, fraction = ''] = value.split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}
