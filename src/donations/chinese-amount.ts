import Decimal from 'decimal.js';

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES = ['', '拾', '佰', '仟'];
/** Four-digit groups from the right: units, 万 (10^4), 亿 (10^8), 万亿 (10^12). */
const GROUPS = ['', '万', '亿', '万亿'];
const LIMIT = new Decimal('1e16');

/**
 * An amount in yuan written in Chinese capital numerals (大写金额), as on a receipt or
 * a cheque, following the People's Bank of China rules for filling in bills
 * (《正确填写票据和结算凭证的基本规定》):
 * - zeros inside the number are read as one 零 per run (1005 → 壹仟零伍, 100010000 →
 *   壹亿零壹万), zeros at the end of the yuan or of a group are silent (1000000 → 壹佰万);
 * - 10 to 19 keep their 壹 (壹拾元整), as a receipt must;
 * - whole yuan end in 整; a 角 amount ends in 角 (no 整), a 分 amount in 分;
 * - a zero 角 before a 分 is written 零 (1005.07 → 壹仟零伍元零柒分), a zero yuan digit
 *   before a 角 is not (1680.32 → 壹仟陆佰捌拾元叁角贰分: the rules allow either);
 * - below one yuan there is no 元 (0.50 → 伍角, 0.05 → 伍分); zero is 零元整.
 * Accepts a non-negative amount with at most two decimals, below 10^16 yuan.
 */
export function chineseAmount(amount: Decimal | string): string {
  const value = new Decimal(amount);
  if (!value.isFinite() || value.isNegative() || value.decimalPlaces() > 2 || value.gte(LIMIT)) {
    throw new RangeError(`not an amount that can be written in capitals: ${String(amount)}`);
  }
  const fen = value.times(100).toFixed(0);
  const yuan = fen.length > 2 ? fen.slice(0, -2) : '0';
  const jiao = Number(fen.length > 1 ? fen[fen.length - 2] : '0');
  const cents = Number(fen[fen.length - 1]);

  const whole = yuan === '0' ? '' : `${integer(yuan)}元`;
  if (jiao === 0 && cents === 0) return whole === '' ? '零元整' : `${whole}整`;
  if (jiao === 0) return `${whole}${whole === '' ? '' : '零'}${DIGITS[cents]}分`;
  return `${whole}${DIGITS[jiao]}角${cents === 0 ? '' : `${DIGITS[cents]}分`}`;
}

/** A positive whole number of yuan (as digits) in capitals, without the 元. */
function integer(digits: string): string {
  const groups: number[] = [];
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(Number(digits.slice(Math.max(0, end - 4), end)));
  let out = '';
  let zeroPending = false;
  groups.forEach((group, i) => {
    if (group === 0) {
      zeroPending = out !== '';
      return;
    }
    // A group below 1000 after a higher one starts with a zero digit: 壹万零伍拾.
    if (out !== '' && (zeroPending || group < 1000)) out += '零';
    out += fourDigits(group) + GROUPS[groups.length - 1 - i];
    zeroPending = false;
  });
  return out;
}

function fourDigits(n: number): string {
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
