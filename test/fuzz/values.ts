/**
 * The campaign's dictionaries: hostile values by the kind of field they are aimed at.
 * Values that are sure to break the contract for their kind are kept apart from those
 * that merely look odd (and may well be valid), so the generator knows when a request
 * must be refused.
 */

/** Response splitting: a header of this name must never come back. */
export const INJECTED_HEADER = 'x-fuzz-injected';
export const CRLF_INJECTION = `a\r\n${INJECTED_HEADER}: 1\r\n\r\n<html>`;

const A = (n: number, ch = 'A') => ch.repeat(n);

/** Strings that are odd for any text field; some are valid text, most are not. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '   \t ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(16),
  'name\u0000; DROP TABLE ledger_entries',
  "'; DROP TABLE ledger_entries; --",
  "' OR '1'='1",
  "\" OR \"\"=\"",
  '1; SELECT pg_sleep(30); --',
  "$$; DROP TABLE payments; $$",
  "') ; TRUNCATE ledger_transactions CASCADE; --",
  '\\',
  '\\\\\\',
  '%',
  '%_%',
  '_',
  '\\x00',
  '%00',
  '%0d%0a',
  CRLF_INJECTION,
  `x\r\n${INJECTED_HEADER}: 1`,
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '${jndi:ldap://127.0.0.1:1/a}',
  '{{7*7}}',
  '#{7*7}',
  '%s%s%s%s%n',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
  '0',
  '-1',
  '1e309',
  '\u202eevil\u202c',
  '\ufeffbom',
  '\ud800',
  'lone \udfff surrogate',
  '\ud83d',
  '😀'.repeat(60),
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̚ͅo̹̘',
  'a' + '\u0301'.repeat(300),
  '\u00a0',
  '\u3000',
  '\u2028\u2029',
  '\ufffe\uffff',
  '\u007f',
  '\u001b[31mred\u001b[0m',
  'ＡＢＣ１２３',
  'İıßﬀ',
  '张秀英',
  '中'.repeat(101),
  '中'.repeat(100),
  A(33),
  A(51),
  A(65),
  A(101),
  A(201),
  A(256),
  A(1000),
  A(10_000),
  A(60_000),
];

/** Strings sure to be a bad value for a formatted field (money, UUID, UID, date...). */
export const JUNK_STRINGS: readonly string[] = [
  '',
  ' ',
  'x',
  '\u0000',
  "'; DROP TABLE ledger_entries; --",
  "' OR 1=1 --",
  CRLF_INJECTION,
  '<script>',
  'null',
  'NaN',
  '😀',
  '\ud800',
  A(1000),
  A(40_000),
];

/** JSON values of every type, for "wrong type" mutations. */
export const TYPE_CHANGES: readonly unknown[] = [0, -0, 1, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, true, false, null, [], [null], {}, { a: 1 }, 'string', ''];

/** Wrong-type values that are not strings and not null (null reads as "absent" for optional fields). */
export const NON_STRINGS: readonly unknown[] = [0, 1, -1, 12.5, 1e308, true, false, [], ['x'], {}, { value: 'x' }];

export const MONEY_INVALID: readonly unknown[] = [
  12.5,
  0,
  -1,
  1000,
  1e308,
  true,
  [],
  ['12.50'],
  {},
  { amount: '12.50' },
  '',
  ' ',
  '0',
  '0.0',
  '0.00',
  '00',
  '00.50',
  '012.50',
  '-0',
  '-0.00',
  '-1.00',
  '-12.50',
  '+12.50',
  '0.001',
  '1.005',
  '12.345',
  '12.',
  '.50',
  '1e3',
  '1E3',
  '1e-2',
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  ' 12.50',
  '12.50 ',
  '12.50\n',
  '12,50',
  '1 000.00',
  '1_000.00',
  '12.5.0',
  '１２．５０',
  '١٢٫٥٠',
  '¥12.50',
  '12.50元',
  '12.50\u0000',
  '12345678901.00',
  '99999999999',
  '1' + '0'.repeat(30),
  '9'.repeat(400),
  ...JUNK_STRINGS,
];

/** Money that is valid or at a boundary: sent only where the request is refused for another reason. */
export const MONEY_ODD: readonly string[] = ['0.01', '0.1', '1', '9999999999.99', '9999999999', '5000.00', '5000.01', '1000000.00', '0.10'];

export const UID_INVALID: readonly unknown[] = [
  '',
  '04',
  '04A1B2',
  '04A1B2C3D4',
  '04A1B2C3D4E5F6A7',
  'ZZA1B2C3',
  'GGGGGGGG',
  '04:A1:B2:C3:',
  ':04:A1:B2:C3',
  '04::A1:B2:C3',
  '04:A1:B2:C3\n',
  '04A1B2C3\u0000',
  '0x04A1B2C3',
  'ｆｆｆｆｆｆｆｆ',
  '04A1B2C3'.repeat(6),
  '0'.repeat(41),
  '04_A1_B2_C3',
  12345678,
  4.5,
  true,
  [],
  ['04A1B2C3'],
  {},
  ...JUNK_STRINGS,
];

/** UIDs that are odd but valid per the contract (separators, case). */
export const UID_ODD: readonly string[] = ['04:a1:b2:c3', '04-A1-B2-C3-D4-E5-F6', '04 a1 b2 c3 d4 e5 f6 a7 b8 c9', '04:A1-B2 C3', 'ffffffff', '00000000', 'FFFFFFFFFFFFFFFFFFFF'];

export function uuidInvalid(valid: string): unknown[] {
  return [
    '',
    'not-a-uuid',
    valid.slice(0, -1),
    valid + '0',
    valid + ' ',
    ' ' + valid,
    `{${valid}}`,
    `urn:uuid:${valid}`,
    valid.replace(/-/g, ''),
    valid + '\u0000',
    valid.replace(/-/g, '_'),
    valid.slice(0, 35) + 'g',
    `${valid}' OR '1'='1`,
    "' OR 1=1 --",
    12345,
    true,
    [valid],
    {},
    { id: valid },
    ...JUNK_STRINGS,
  ];
}

/** UUIDs that are well-formed but odd: all zeros, all ones, upper case. */
export function uuidOdd(valid: string): string[] {
  return ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', valid.toUpperCase(), '00000000-0000-4000-8000-000000000000'];
}

/** "YYYY-MM-DD": boundary years, impossible days, other formats. */
export const DAYS: readonly unknown[] = [
  '0000-01-01',
  '0001-01-01',
  '1000-01-01',
  '1899-12-31',
  '1900-01-01',
  '1970-01-01',
  '2099-12-31',
  '2100-01-01',
  '9999-12-31',
  '10000-01-01',
  '-2026-12-01',
  '+002026-12-01',
  '2026-02-29',
  '2024-02-29',
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '2026-01-32',
  '2026-01-00',
  '2026-1-1',
  '20261201',
  '2026/12/01',
  '2026-12-01T00:00:00Z',
  '2026-12-01 ',
  '２０２６-１２-０１',
  'today',
  1733011200,
  ...JUNK_STRINGS,
];

/** ISO 8601 instants for `from`/`to` style filters. */
export const INSTANTS: readonly string[] = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999999999Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-12-01T24:00:00Z',
  '2026-12-01T23:59:60Z',
  '2026-12-01T00:00:00+25:00',
  '2026-12-01T00:00:00-23:59',
  '2026-12-01T00:00:00.123456789Z',
  '2026-12-01',
  '2026-12',
  '2026',
  '2026-W49-1',
  '2026-335',
  '20261201T000000Z',
  '2026-12-01T00:00Z',
  '2026-12-01t00:00:00z',
  '1970-01-01T00:00:00Z',
  '',
  A(41),
  "2026-12-01T00:00:00Z' OR '1'='1",
];

export const PERIODS: readonly unknown[] = ['0000-01', '0001-01', '9999-12', '10000-01', '2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '-2026-01', '2026/01', '２０２６-０１', 202601, ...JUNK_STRINGS];

export const HH_MM: readonly unknown[] = ['24:00', '23:60', '7:00', '07:00:00', '-01:00', '99:99', '0700', '07:00 ', '０７:００', 700, ...JUNK_STRINGS];

export const INTS_ODD: readonly unknown[] = [-1, 0, 1, 151, 3661, 101, 1.5, 1e308, -1e308, 2147483648, -2147483649, 2 ** 53, '60', '1', true, false, [], {}];

export const SLUG_ARRAYS: readonly unknown[] = [
  [],
  [''],
  ['Dibao'],
  ['dibao '],
  ['-x'],
  ['1x'],
  [A(33, 'a')],
  ['dìbao'],
  ['x y'],
  ['a', 'a'],
  Array.from({ length: 21 }, (_, i) => `t${i}`),
  Array.from({ length: 5000 }, (_, i) => `t${i}`),
  [null],
  [1],
  [['nested']],
  [{}],
  ["'; DROP TABLE residents; --"],
  'dibao',
  {},
];

export const ID_NUMBERS_ODD: readonly unknown[] = ['', '110105194912310021', '11010519491231002', '1101051949123100200', '000000000000000000', 'XXXXXXXXXXXXXXXXXX', '11010530001231002X', '11010519490230002X', ' 11010519491231002X', '110105-19491231-002X', 110105194912310020, null, [], ...JUNK_STRINGS];

export const PHONES_ODD: readonly unknown[] = ['', '138', '1380013800000000', '+86 138 0013 8000', '+86-138-0013-8000', '(021) 1234-5678', '021-12345678', '0000000000', '00000000000', 'phone', 13800138000, '１３８００１３８０００', ...JUNK_STRINGS];

export const STATION_IDS_ODD: readonly string[] = ['', '-S1', '_', 'S 1', 'S1.', '..', '.', A(33, 's'), A(32, 's'), 'S1;rm -rf', '张', 'S1\u0000', CRLF_INJECTION];

export const IDEMPOTENCY_KEYS_INVALID: readonly string[] = ['', A(256, 'k'), A(4000, 'k'), 'é-key', 'key\twith-tab', 'ключ', '\u00ff\u00fe'];
export const IDEMPOTENCY_KEYS_ODD: readonly string[] = ['k', A(255, 'k'), "'; DROP TABLE idempotency_keys; --", '{}', '%00', '~!@#$%^&*()'];

export const LIMITS: readonly string[] = ['0', '-1', '1', '500', '501', '1000000', '1e3', '1.5', '0x10', 'NaN', 'Infinity', '', ' 1', '1 ', '+5', '9'.repeat(400), '50abc', '١٢', "1' OR '1'='1", '%00'];

export const SINCES: readonly string[] = ['0', '1', '999999999999999', '9999999999999999', '-1', '01', '1e3', '0x10', '9223372036854775807', '9223372036854775808', '', 'abc', '1.0'];

/** Broken Authorization values: [make, certainly refused]. */
export const AUTH_BAD: readonly (readonly [(key: string) => string, boolean])[] = [
  [() => '', true],
  [() => 'Bearer', true],
  [() => 'Bearer ', true],
  [(k) => `Bearer ${k}x`, true],
  [(k) => `Bearer ${k.slice(0, -1)}`, true],
  [(k) => `bearer ${k}`, false],
  [(k) => `BEARER ${k}`, false],
  [(k) => `Bearer  ${k}`, false],
  [(k) => `Bearer ${k} `, false],
  [(k) => `Bearer ${k} ${k}`, false],
  [(k) => `Token ${k}`, true],
  [(k) => `Basic ${Buffer.from(`admin:${k}`).toString('base64')}`, true],
  [(k) => k, false],
  [() => `Bearer ${A(8000, 'c')}`, true],
  [() => 'Bearer cck_', true],
  [() => "Bearer cck_' OR '1'='1", true],
  [() => 'Bearer \u00e9\u00e8', true],
  [() => 'Bearer null', true],
  [() => 'Bearer undefined', true],
];

export const CONTENT_TYPES_OTHER: readonly string[] = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/html',
  'application/octet-stream',
  'image/png',
  'text/csv',
  'application/csv',
];

export const CONTENT_TYPES_ODD: readonly string[] = [
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json;;;',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/json, text/plain',
  'application/json; boundary=--',
  'application/',
  '/',
  ';',
  '*/*',
  'application/*',
  `application/json; x=${A(5000, 'y')}`,
  'text/csv; charset=latin1',
  'text/csv; charset=utf-8',
];

export const ACCEPTS: readonly string[] = ['text/html', 'application/xml', '*/*;q=0', 'application/json;q=abc', 'text/event-stream', 'image/*', ''];
