import Decimal from 'decimal.js';
import fc from 'fast-check';
import { chineseAmount } from './chinese-amount';

describe('chineseAmount', () => {
  test.each([
    // the examples of the issue
    ['100.00', '壹佰元整'],
    ['1234.56', '壹仟贰佰叁拾肆元伍角陆分'],
    ['1005.07', '壹仟零伍元零柒分'],
    ['0.50', '伍角'],
  ])('%s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test.each([
    ['0', '零元整'],
    ['0.00', '零元整'],
    ['1', '壹元整'],
    ['2', '贰元整'],
    ['3', '叁元整'],
    ['4', '肆元整'],
    ['5', '伍元整'],
    ['6', '陆元整'],
    ['7', '柒元整'],
    ['8', '捌元整'],
    ['9', '玖元整'],
    ['10', '壹拾元整'],
    ['11', '壹拾壹元整'],
    ['19', '壹拾玖元整'],
    ['20', '贰拾元整'],
    ['99', '玖拾玖元整'],
    ['100', '壹佰元整'],
    ['101', '壹佰零壹元整'],
    ['110', '壹佰壹拾元整'],
    ['999', '玖佰玖拾玖元整'],
  ])('whole yuan below a thousand: %s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test.each([
    ['1000', '壹仟元整'],
    ['1001', '壹仟零壹元整'],
    ['1010', '壹仟零壹拾元整'],
    ['1011', '壹仟零壹拾壹元整'],
    ['1100', '壹仟壹佰元整'],
    ['1101', '壹仟壹佰零壹元整'],
    ['2050', '贰仟零伍拾元整'],
    ['9009', '玖仟零玖元整'],
  ])('zeros in the middle of a group are one 零, zeros at its end are silent: %s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test.each([
    ['10000', '壹万元整'],
    ['10001', '壹万零壹元整'],
    ['10010', '壹万零壹拾元整'],
    ['10100', '壹万零壹佰元整'],
    ['11000', '壹万壹仟元整'],
    ['12345', '壹万贰仟叁佰肆拾伍元整'],
    ['100000', '壹拾万元整'],
    ['100010', '壹拾万零壹拾元整'],
    ['107000', '壹拾万柒仟元整'],
    ['1000000', '壹佰万元整'],
    ['1000100', '壹佰万零壹佰元整'],
    ['1001000', '壹佰万壹仟元整'],
    ['10000000', '壹仟万元整'],
    ['20100000', '贰仟零壹拾万元整'],
    ['20101000', '贰仟零壹拾万壹仟元整'],
    ['99999999', '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整'],
  ])('万 groups: %s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test.each([
    ['100000000', '壹亿元整'],
    ['100000001', '壹亿零壹元整'],
    ['100001000', '壹亿零壹仟元整'],
    ['100010000', '壹亿零壹万元整'],
    ['101000000', '壹亿零壹佰万元整'],
    ['110000000', '壹亿壹仟万元整'],
    ['1000000000', '壹拾亿元整'],
    ['1234567890', '壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元整'],
    ['9999999999.99', '玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    ['1000000000000', '壹万亿元整'],
    ['1000100000000', '壹万亿零壹亿元整'],
    ['1000000000001', '壹万亿零壹元整'],
    ['9999999999999999.99', '玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
  ])('亿 and 万亿 groups, a whole empty group is one 零: %s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test.each([
    ['0.01', '壹分'],
    ['0.05', '伍分'],
    ['0.1', '壹角'],
    ['0.56', '伍角陆分'],
    ['0.99', '玖角玖分'],
    ['1.10', '壹元壹角'],
    ['1.01', '壹元零壹分'],
    ['10.01', '壹拾元零壹分'],
    ['100.10', '壹佰元壹角'],
    ['325.04', '叁佰贰拾伍元零肆分'],
    ['1409.50', '壹仟肆佰零玖元伍角'],
    ['1680.32', '壹仟陆佰捌拾元叁角贰分'],
    ['6007.14', '陆仟零柒元壹角肆分'],
    ['107000.53', '壹拾万柒仟元伍角叁分'],
    ['12.5', '壹拾贰元伍角'],
  ])('角 and 分: no 整 after them, 零 for a zero 角 before a 分, no 元 below a yuan: %s → %s', (amount, words) => {
    expect(chineseAmount(amount)).toBe(words);
  });

  test('takes a Decimal as well as a string', () => {
    expect(chineseAmount(new Decimal('1234.56'))).toBe('壹仟贰佰叁拾肆元伍角陆分');
    expect(chineseAmount(new Decimal(0.5))).toBe('伍角');
  });

  test.each([['-1'], ['-0.01'], ['0.001'], ['1.234'], ['10000000000000000'], ['NaN'], ['Infinity']])('refuses %s', (amount) => {
    expect(() => chineseAmount(amount)).toThrow(RangeError);
  });

  describe('any amount in range', () => {
    const fen = fc.bigInt({ min: 0n, max: 10n ** 18n - 1n });
    const yuan = (f: bigint) => `${f / 100n}.${String(f % 100n).padStart(2, '0')}`;

    test('reads back as the same number of fen', () => {
      fc.assert(fc.property(fen, (f) => expect(readBack(chineseAmount(yuan(f)))).toBe(f)), { numRuns: 2000 });
    });

    test('uses only capital numerals and units, never two 零 in a row, no 零 before a unit, none leading (but for zero)', () => {
      fc.assert(
        fc.property(fen, (f) => {
          const words = chineseAmount(yuan(f));
          expect(words).toMatch(/^[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+$/);
          expect(words).not.toContain('零零');
          if (f === 0n) return expect(words).toBe('零元整');
          expect(words).not.toMatch(/零(元|万|亿|角|整)/);
          expect(words.startsWith('零')).toBe(false);
        }),
        { numRuns: 2000 },
      );
    });

    test('整 exactly for whole yuan; 元 exactly from one yuan up; 分 exactly with fen', () => {
      fc.assert(
        fc.property(fen, (f) => {
          const words = chineseAmount(yuan(f));
          expect(words.endsWith('整')).toBe(f % 100n === 0n);
          expect(words.includes('元')).toBe(f >= 100n || f === 0n);
          expect(words.endsWith('分')).toBe(f % 10n !== 0n);
        }),
        { numRuns: 2000 },
      );
    });
  });
});

const DIGIT: Record<string, bigint> = { 零: 0n, 壹: 1n, 贰: 2n, 叁: 3n, 肆: 4n, 伍: 5n, 陆: 6n, 柒: 7n, 捌: 8n, 玖: 9n };
const PLACE: Record<string, bigint> = { 拾: 10n, 佰: 100n, 仟: 1000n };
const GROUP: Record<string, bigint> = { T: 10n ** 12n, 亿: 10n ** 8n, 万: 10n ** 4n };

/** An independent reading of capitals back into fen: the test's own parser, not the code's inverse. */
function readBack(words: string): bigint {
  const text = words.replace(/整$/, '').replace('万亿', 'T');
  const [whole, fraction] = text.includes('元') ? text.split('元') : ['', text];
  let total = 0n;
  let section = 0n;
  let digit = 0n;
  for (const ch of whole) {
    if (ch in DIGIT) digit = DIGIT[ch];
    else if (ch in PLACE) {
      section += digit * PLACE[ch];
      digit = 0n;
    } else if (ch in GROUP) {
      total += (section + digit) * GROUP[ch];
      section = 0n;
      digit = 0n;
    } else throw new Error(`unexpected ${ch} in ${words}`);
  }
  total += section + digit;
  const jiao = /([零壹贰叁肆伍陆柒捌玖])角/.exec(fraction)?.[1];
  const fen = /([零壹贰叁肆伍陆柒捌玖])分/.exec(fraction)?.[1];
  return total * 100n + (jiao ? DIGIT[jiao] * 10n : 0n) + (fen ? DIGIT[fen] : 0n);
}
