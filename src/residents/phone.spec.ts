import { maskPhone, normalizePhone } from './phone';

test.each([
  ['13800138000', '13800138000'],
  ['+86 138 0013 8000', '13800138000'],
  ['8613800138000', '13800138000'],
  ['021-12345678', '021-12345678'],
  ['02112345678', '021-12345678'],
  ['0571-8765432', '0571-8765432'],
])('normalises %s', (input, stored) => {
  expect(normalizePhone(input)).toBe(stored);
});

test.each(['12800138000', '1380013800', 'phone', '', '+1 415 555 0100', '1-2345678'])('refuses %p', (input) => {
  expect(normalizePhone(input)).toBeNull();
});

test('masks keep only what identifies the line to its owner', () => {
  expect(maskPhone('13800138000')).toBe('138****8000');
  expect(maskPhone('021-12345678')).toBe('021-****5678');
});
