import { shanghaiDay } from '../common/shanghai-day';

/**
 * Who a program is for: age on the day in Asia/Shanghai (a resident is 60 from the
 * first moment of their 60th birthday, Shanghai time) and every listed tag present.
 * As SQL over `residents r`, with the program's columns bound.
 */
export const SHANGHAI_TODAY = shanghaiDay('now()');

export function eligibleResidentsSql(alias = 'r'): string {
  const age = `date_part('year', age(${SHANGHAI_TODAY}, ${alias}.birth_date))`;
  return `(?::int IS NULL OR ${age} >= ?::int) AND (?::int IS NULL OR ${age} <= ?::int) AND ${alias}.tags @> ?::text[]`;
}

export function eligibilityBindings(p: { min_age: number | null; max_age: number | null; tags: string[] }, tagsArray: string): unknown[] {
  return [p.min_age, p.min_age, p.max_age, p.max_age, tagsArray];
}

/** The same rule in code, for one resident on a given Shanghai day (YYYY-MM-DD). */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
