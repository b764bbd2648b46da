import { birthDateOf, checkCharacter, hashIdNumber, isValidIdNumber, maskIdNumber, normalizeIdNumber } from './id-number';

/** Builds a valid number from region, birth date and sequence, so tests need no real person's number. */
export function makeIdNumber(region = '310115', birth = '19800101', seq = '123'): string {
  const first17 = `${region}${birth}${seq}`;
  return first17 + checkCharacter(first17);
}

describe('PRC resident ID numbers', () => {
  test('the GB 11643 check character of a published example', () => {
    // The standard's own example: 11010519491231002X.
    expect(checkCharacter('11010519491231002')).toBe('X');
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
  });

  test('a built number is valid and encodes its birth date', () => {
    const id = makeIdNumber('440305', '19561130', '042');
    expect(isValidIdNumber(id)).toBe(true);
    expect(birthDateOf(id)).toBe('1956-11-30');
  });

  test.each([
    ['a wrong check character', () => { const id = makeIdNumber(); return id.slice(0, 17) + (id[17] === '1' ? '2' : '1'); }],
    ['17 characters', () => makeIdNumber().slice(0, 17)],
    ['19 characters', () => makeIdNumber() + '1'],
    ['a letter inside', () => 'A' + makeIdNumber().slice(1)],
    ['an unknown province', () => makeIdNumber('990101')],
    ['February 30th', () => makeIdNumber('310115', '19800230')],
    ['born in 1899', () => makeIdNumber('310115', '18991231')],
    ['born tomorrow', () => makeIdNumber('310115', new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10).replace(/-/g, ''))],
    ['a lower-case x not normalised', () => '11010519491231002x'],
  ])('refuses %s', (_, make) => {
    expect(isValidIdNumber(make())).toBe(false);
  });

  test('normalising upper-cases the check character', () => {
    expect(normalizeIdNumber(' 11010519491231002x ')).toBe('11010519491231002X');
  });

  test('the mask keeps region and last four', () => {
    expect(maskIdNumber('310115198001011234')).toBe('310115********1234');
  });

  test('the look-up hash depends on the key', () => {
    const id = makeIdNumber();
    expect(hashIdNumber(id, 'k1'.repeat(16))).toBe(hashIdNumber(id, 'k1'.repeat(16)));
    expect(hashIdNumber(id, 'k1'.repeat(16))).not.toBe(hashIdNumber(id, 'k2'.repeat(16)));
    expect(hashIdNumber(id, 'k1'.repeat(16))).not.toContain(id);
  });
});
