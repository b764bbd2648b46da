/**
 * How a donor's name is printed on a receipt: the first character (the surname, for
 * most Chinese names) is kept; of a name of three or more characters the last is kept
 * too, everything between becomes one * each: 张秀英 → 张*英, 欧阳娜娜 → 欧**娜; of a
 * two-character name only the first: 张三 → 张*. A one-character name would be shown
 * whole, so it becomes *. Characters are Unicode code points, so no character is split.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** CH-<Shanghai year>-<number within the project and year, six digits or more>. */
export function receiptNo(year: number, seq: number): string {
  return `CH-${year}-${String(seq).padStart(6, '0')}`;
}
