import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { describeValidationErrors } from '../common/validation';
import type { ImportLineError } from './bills.errors';
import { CsvError, parseCsv } from './csv';
import { CreateBillDto } from './dto/bill-requests.dto';

export const IMPORT_COLUMNS = ['residentId', 'payee', 'amount', 'dueDate', 'reference'] as const;
/** Bills per file: a month of one district's utility bills comes in several files, not one. */
export const MAX_IMPORT_LINES = 10_000;
/** Errors listed in a refusal; the message gives the total. */
export const MAX_LISTED_ERRORS = 1_000;

export interface ImportLine {
  line: number;
  bill: CreateBillDto;
}

/**
 * Reads an import file into bills, or into every problem it has that can be found
 * without the database: the header, the CSV itself, each field (by the same rules as
 * POST /v1/bills), and references repeated within the file.
 */
export async function readImportFile(csv: string): Promise<{ lines: ImportLine[]; errors: ImportLineError[] }> {
  let records;
  try {
    records = parseCsv(csv, MAX_IMPORT_LINES + 1);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { lines: [], errors: [{ line: err.line, code: err.code, message: err.message }] };
  }
  const [header, ...rows] = records;
  const columns = header ? readHeader(header.fields) : null;
  if (!columns) {
    return { lines: [], errors: [{ line: header?.line ?? 1, code: 'invalid_header', message: `the first line must name the columns ${IMPORT_COLUMNS.join(',')}` }] };
  }
  if (rows.length === 0) return { lines: [], errors: [{ line: header.line + 1, code: 'validation_failed', message: 'the file holds no bills' }] };

  const lines: ImportLine[] = [];
  const errors: ImportLineError[] = [];
  for (const { line, fields } of rows) {
    if (fields.length !== columns.length) {
      errors.push({ line, code: 'validation_failed', message: `expected ${columns.length} fields, found ${fields.length}` });
      continue;
    }
    const plain = Object.fromEntries(columns.map((c, i) => [c, fields[i]]));
    const bill = plainToInstance(CreateBillDto, plain);
    const problems = await validate(bill, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: false } });
    if (problems.length > 0) {
      for (const p of problems) errors.push({ line, field: p.property, code: 'validation_failed', message: describeValidationErrors([p]).join('; ') });
      continue;
    }
    lines.push({ line, bill });
  }
  return { lines, errors: [...errors, ...repeatedReferences(lines)] };
}

/** The columns in the file's order, or null unless the header names each expected column exactly once. */
function readHeader(fields: string[]): (typeof IMPORT_COLUMNS)[number][] | null {
  const known = new Set<string>(IMPORT_COLUMNS);
  if (fields.length !== IMPORT_COLUMNS.length || new Set(fields).size !== fields.length || !fields.every((f) => known.has(f))) return null;
  return fields as (typeof IMPORT_COLUMNS)[number][];
}

/** Lines repeating an earlier line's reference: they would be the same bill twice. */
function repeatedReferences(lines: ImportLine[]): ImportLineError[] {
  const first = new Map<string, number>();
  const repeated: ImportLineError[] = [];
  for (const { line, bill } of lines) {
    const seen = first.get(bill.reference);
    if (seen === undefined) first.set(bill.reference, line);
    else repeated.push({ line, field: 'reference', code: 'bill_exists', message: `reference ${JSON.stringify(bill.reference)} is also on line ${seen}` });
  }
  return repeated;
}

/** Errors in file order, at most MAX_LISTED_ERRORS of them, with the total. */
export function listed(errors: ImportLineError[]): { errors: ImportLineError[]; total: number } {
  const rank = (field?: string) => IMPORT_COLUMNS.indexOf(field as (typeof IMPORT_COLUMNS)[number]);
  const sorted = [...errors].sort((a, b) => a.line - b.line || rank(a.field) - rank(b.field));
  return { errors: sorted.slice(0, MAX_LISTED_ERRORS), total: errors.length };
}
