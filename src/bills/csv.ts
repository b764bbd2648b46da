/**
 * A strict reader for RFC 4180 CSV as spreadsheets export it: comma-separated,
 * fields optionally in double quotes ("" for a quote inside), CRLF or LF line ends,
 * an optional UTF-8 byte order mark (Excel writes one). Strict, because a file that
 * could be read two ways must not become money owed.
 */

export interface CsvRecord {
  /** The file line the record starts on, 1-based, as a text editor counts. */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    readonly code: 'invalid_csv' | 'too_many_lines',
    message: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/** Empty lines are skipped (a trailing newline, blank lines a spreadsheet left); at most `maxRecords` records are read. */
export function parseCsv(text: string, maxRecords: number): CsvRecord[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const end = lineEndAt(s, i);
    if (end > 0) {
      i += end;
      line++;
      continue;
    }
    if (records.length === maxRecords) throw new CsvError(line, 'too_many_lines', `the file may hold at most ${maxRecords} lines`);
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (s[i] === '"') {
        ({ value, i, line } = quoted(s, i, line, start));
      } else {
        let j = i;
        while (j < s.length && s[j] !== ',' && lineEndAt(s, j) === 0) {
          if (s[j] === '"') throw new CsvError(line, 'invalid_csv', 'a field with a double quote in it must be in double quotes');
          j++;
        }
        value = s.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (s[i] === ',') {
        i++;
        continue;
      }
      const end = lineEndAt(s, i);
      if (end === 0 && i < s.length) throw new CsvError(line, 'invalid_csv', 'a closing double quote must end its field');
      i += end;
      if (end > 0) line++;
      break;
    }
    records.push({ line: start, fields });
  }
  return records;
}

/** The length of the line break at `i`: 2 for CRLF, 1 for LF or a lone CR, 0 for none. */
function lineEndAt(s: string, i: number): number {
  if (s[i] === '\n') return 1;
  if (s[i] === '\r') return s[i + 1] === '\n' ? 2 : 1;
  return 0;
}

function quoted(s: string, i: number, line: number, start: number): { value: string; i: number; line: number } {
  let value = '';
  let j = i + 1;
  for (;;) {
    if (j >= s.length) throw new CsvError(start, 'invalid_csv', 'a double quote opened on this line is never closed');
    if (s[j] === '"') {
      if (s[j + 1] === '"') {
        value += '"';
        j += 2;
        continue;
      }
      return { value, i: j + 1, line };
    }
    const end = lineEndAt(s, j);
    if (end > 0) {
      value += s.slice(j, j + end);
      j += end;
      line++;
      continue;
    }
    value += s[j];
    j++;
  }
}
