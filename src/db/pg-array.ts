/**
 * A PostgreSQL array literal for one bound parameter. knex expands a JS array binding
 * into a list of parameters, which breaks `unnest(?::text[])`; a literal keeps a whole
 * column of a set-based insert in one parameter.
 */
export function pgArray(values: readonly (string | number | boolean | null)[]): string {
  return `{${values.map(element).join(',')}}`;
}

function element(v: string | number | boolean | null): string {
  if (v === null) return 'NULL';
  return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
