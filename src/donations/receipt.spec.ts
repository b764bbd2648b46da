import { maskName, receiptNo } from './receipt';

describe('maskName', () => {
  test.each([
    ['张秀英', '张*英'],
    ['张三', '张*'],
    ['欧阳娜娜', '欧**娜'],
    ['司马相如', '司**如'],
    ['阿依古丽·买买提', '阿******提'],
    ['张', '*'],
    ['', '*'],
    ['  李四  ', '李*'],
    ['John Smith', 'J********h'],
    ['𠀀𠀁𠀂', '𠀀*𠀂'],
  ])('%p → %p', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  test('never shows more than two characters of a name', () => {
    for (const name of ['王小明', '诸葛孔明明', '李']) {
      expect(Array.from(maskName(name)).filter((c) => c !== '*').length).toBeLessThanOrEqual(2);
    }
  });
});

describe('receiptNo', () => {
  test.each([
    [2026, 1, 'CH-2026-000001'],
    [2026, 20, 'CH-2026-000020'],
    [2027, 999999, 'CH-2027-999999'],
    [2027, 1000000, 'CH-2027-1000000'],
  ])('%i, %i → %s', (year, seq, no) => {
    expect(receiptNo(year, seq)).toBe(no);
  });
});
