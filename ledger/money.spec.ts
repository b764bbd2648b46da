import Decimal from 'decimal.js';
import { MAX_AMOUNT, MONEY_PATTERN, formatMoney, isFen, parseMoney } from './money';

describe('MONEY_PATTERN', () => {
  it('is exactly the contract regex', () => {
    expect(MONEY_PATTERN.source).toBe('^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$');
    expect(MONEY_PATTERN.flags).toBe('');
  });
});

describe('parseMoney', () => {
  it.each([
    ['0', '0.00'],
    ['0.5', '0.50'],
    ['0.01', '0.01'],
    ['12.5', '12.50'],
    ['12.50', '12.50'],
    ['100', '100.00'],
    ['9999999999.99', '9999999999.99'],
  ])('parses %j as %s', (text, expected) => {
    const amount = parseMoney(text);
    expect(amount).toBeInstanceOf(Decimal);
    expect(amount!.toFixed(2)).toBe(expected);
  });

  it.each([12.5, 1, 0, null, undefined, {}, new Decimal('1')])('rejects the non-string %p', (value) => {
    expect(parseMoney(value)).toBeNull();
  });

  it.each(['01', '00', '00.5', '1.234', '0.001', '', ' 1', '1 ', '1e3', '1E3', '-1', '+1', '1.', '.5', '1,5', '10000000000', '0x10', 'NaN', 'Infinity', '１'])(
    'rejects %j',
    (text) => {
      expect(parseMoney(text)).toBeNull();
    },
  );
});

describe('formatMoney', () => {
  it.each([
    ['1', '1.00'],
    ['1.5', '1.50'],
    ['0.01', '0.01'],
    ['-3', '-3.00'],
    ['-0.5', '-0.50'],
    ['0', '0.00'],
  ])('formats %s as %s', (value, expected) => {
    expect(formatMoney(new Decimal(value))).toBe(expected);
  });

  it('never uses exponent notation, even where Decimal#toString would', () => {
    expect(new Decimal('1e21').toString()).toContain('e');
    expect(formatMoney(new Decimal('1e21'))).toBe('1000000000000000000000.00');
    expect(formatMoney(new Decimal('1e-7'))).toBe('0.00');
  });
});

describe('isFen', () => {
  it.each(['0.01', '-0.01', '5', '-5.25', '1.230', MAX_AMOUNT.toString(), MAX_AMOUNT.neg().toString()])('accepts %s', (value) => {
    expect(isFen(new Decimal(value))).toBe(true);
  });

  it.each(['0.001', '1.005', MAX_AMOUNT.plus('0.01').toString(), MAX_AMOUNT.neg().minus('0.01').toString(), 'NaN', 'Infinity', '-Infinity'])(
    'rejects %s',
    (value) => {
      expect(isFen(new Decimal(value))).toBe(false);
    },
  );
});
