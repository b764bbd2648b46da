import fc from 'fast-check';
import { CsvError, parseCsv } from './csv';

const read = (text: string, max = 100) => parseCsv(text, max).map((r) => [r.line, ...r.fields]);

describe('parseCsv', () => {
  test('plain lines, LF or CRLF, with or without a final line break', () => {
    expect(read('a,b,c\n1,2,3\n')).toEqual([
      [1, 'a', 'b', 'c'],
      [2, '1', '2', '3'],
    ]);
    expect(read('a,b\r\n1,2')).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
    expect(read('a\r1\r')).toEqual([
      [1, 'a'],
      [2, '1'],
    ]);
  });

  test('empty fields, and a trailing comma as an empty last field', () => {
    expect(read(',a,,\n')).toEqual([[1, '', 'a', '', '']]);
  });

  test('a byte order mark at the start is dropped', () => {
    expect(read('\uFEFFa,b\n')).toEqual([[1, 'a', 'b']]);
  });

  test('blank lines are skipped but still counted', () => {
    expect(read('\n\na\n\r\n\nb\n\n')).toEqual([
      [3, 'a'],
      [6, 'b'],
    ]);
    expect(read('')).toEqual([]);
  });

  test('quoted fields: commas, doubled quotes, line breaks; the record keeps the line it starts on', () => {
    expect(read('"a,b","say ""hi""",""\n"x\ny",z\nlast\n')).toEqual([
      [1, 'a,b', 'say "hi"', ''],
      [2, 'x\ny', 'z'],
      [4, 'last'],
    ]);
  });

  test('spaces belong to the field', () => {
    expect(read(' a , b \n')).toEqual([[1, ' a ', ' b ']]);
  });

  test.each([
    ['an unterminated quote', 'a\n"b,c\nd\n', 2],
    ['a quote inside an unquoted field', 'a\nb"c\n', 2],
    ['text after a closing quote', 'a\n"b"c,d\n', 2],
    ['a space after a closing quote', '"a" ,b\n', 1],
  ])('%s: invalid_csv on the line', (_, text, line) => {
    expect(() => parseCsv(text, 100)).toThrow(CsvError);
    try {
      parseCsv(text, 100);
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_csv', line });
    }
  });

  test('more records than allowed: too_many_lines on the first one too many', () => {
    expect(parseCsv('a\nb\nc\n', 3)).toHaveLength(3);
    expect(() => parseCsv('a\nb\nc\nd\n', 3)).toThrow(expect.objectContaining({ code: 'too_many_lines', line: 4 }));
  });

  test('whatever fields are written as a spreadsheet would, they read back the same', () => {
    const field = fc.string({ unit: fc.constantFrom('a', '水', ',', '"', '\n', '\r\n', ' ', '1') });
    const record = fc.array(field, { minLength: 1, maxLength: 6 }).filter((r) => !(r.length === 1 && r[0] === ''));
    const quote = (f: string) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f);
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), fc.constantFrom('\n', '\r\n'), (records, eol) => {
        const text = records.map((r) => r.map(quote).join(',')).join(eol);
        expect(parseCsv(text, 100).map((r) => r.fields)).toEqual(records);
      }),
      { numRuns: 500 },
    );
  });
});
