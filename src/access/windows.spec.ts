import fc from 'fast-check';
import { formatHhMm, type GrantWindow, parseHhMm, shanghaiClock, windowOpen } from './windows';

/** A UTC instant written as Shanghai local time (UTC+8, no daylight saving since 1991). */
const local = (day: string, hhmm: string) => new Date(new Date(`${day}T${hhmm}:00.000Z`).getTime() - 8 * 3600_000);
const at = (day: string, hhmm: string) => shanghaiClock(local(day, hhmm));
const hours = (from: string, to: string) => ({ from: parseHhMm(from)!, to: parseHhMm(to)! });
const w = (partial: Partial<GrantWindow>): GrantWindow => ({ validFrom: null, validUntil: null, hours: null, ...partial });

describe('shanghaiClock', () => {
  test.each([
    ['2026-12-01T15:59:59.999Z', '2026-12-01', 1439],
    ['2026-12-01T16:00:00.000Z', '2026-12-02', 0],
    ['2026-12-01T00:00:00.000Z', '2026-12-01', 480],
    ['2026-11-30T23:59:00.000Z', '2026-12-01', 479],
    ['2026-12-31T16:00:00.000Z', '2027-01-01', 0],
    ['2028-02-28T16:30:00.000Z', '2028-02-29', 30],
    ['2027-02-28T16:30:00.000Z', '2027-03-01', 30],
    // July: no daylight saving in China, still UTC+8.
    ['2026-07-01T15:59:00.000Z', '2026-07-01', 1439],
  ])('%s is %s, minute %i, in Shanghai', (iso, day, minute) => {
    expect(shanghaiClock(new Date(iso))).toEqual({ day, minute });
  });
});

describe('windowOpen: dates, inclusive at both ends, on the local day of the moment', () => {
  const window = w({ validFrom: '2026-12-01', validUntil: '2026-12-03' });
  test.each([
    ['2026-11-30', '23:59', false],
    ['2026-12-01', '00:00', true],
    ['2026-12-02', '12:00', true],
    ['2026-12-03', '23:59', true],
    ['2026-12-04', '00:00', false],
  ])('%s %s Shanghai: %p', (day, time, open) => {
    expect(windowOpen(window, at(day, time))).toBe(open);
  });

  test('a one-day grant (validFrom = validUntil) is open that whole local day and only then', () => {
    const oneDay = w({ validFrom: '2026-12-01', validUntil: '2026-12-01' });
    expect(windowOpen(oneDay, at('2026-12-01', '00:00'))).toBe(true);
    expect(windowOpen(oneDay, at('2026-12-01', '23:59'))).toBe(true);
    expect(windowOpen(oneDay, at('2026-11-30', '23:59'))).toBe(false);
    expect(windowOpen(oneDay, at('2026-12-02', '00:00'))).toBe(false);
  });

  test('the day is the Shanghai day, not the UTC one: 2026-12-01T17:00Z is already 2 December', () => {
    const untilFirst = w({ validUntil: '2026-12-01' });
    expect(windowOpen(untilFirst, shanghaiClock(new Date('2026-12-01T15:59:00Z')))).toBe(true);
    expect(windowOpen(untilFirst, shanghaiClock(new Date('2026-12-01T17:00:00Z')))).toBe(false);
    const fromSecond = w({ validFrom: '2026-12-02' });
    expect(windowOpen(fromSecond, shanghaiClock(new Date('2026-12-01T15:59:00Z')))).toBe(false);
    expect(windowOpen(fromSecond, shanghaiClock(new Date('2026-12-01T16:00:00Z')))).toBe(true);
  });

  test('open-ended on either side', () => {
    expect(windowOpen(w({ validFrom: '2026-12-01' }), at('2099-01-01', '12:00'))).toBe(true);
    expect(windowOpen(w({ validUntil: '2026-12-01' }), at('2000-01-01', '12:00'))).toBe(true);
    expect(windowOpen(w({}), at('2026-12-01', '03:00'))).toBe(true);
  });
});

describe('windowOpen: daily hours, `to` exclusive', () => {
  test.each([
    ['07:00', '19:00', '06:59', false],
    ['07:00', '19:00', '07:00', true],
    ['07:00', '19:00', '18:59', true],
    ['07:00', '19:00', '19:00', false],
    ['00:00', '23:59', '00:00', true],
    ['00:00', '23:59', '23:59', false],
    // to < from wraps past midnight.
    ['22:00', '06:00', '21:59', false],
    ['22:00', '06:00', '22:00', true],
    ['22:00', '06:00', '23:59', true],
    ['22:00', '06:00', '00:00', true],
    ['22:00', '06:00', '05:59', true],
    ['22:00', '06:00', '06:00', false],
    ['22:00', '06:00', '12:00', false],
    // Up to midnight: 00:00 is the exclusive end.
    ['22:00', '00:00', '23:59', true],
    ['22:00', '00:00', '00:00', false],
    ['23:59', '00:00', '23:59', true],
    ['23:59', '00:01', '00:00', true],
    ['23:59', '00:01', '00:01', false],
  ])('%s-%s at %s: %p', (from, to, time, open) => {
    expect(windowOpen(w({ hours: hours(from, to) }), at('2026-12-01', time))).toBe(open);
  });

  test('hours {from, to} and {to, from} split the day between them: each minute is in exactly one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }), (from, to, minute) => {
        fc.pre(from !== to);
        const clock = { day: '2026-12-01', minute };
        expect(windowOpen(w({ hours: { from, to } }), clock)).toBe(!windowOpen(w({ hours: { from: to, to: from } }), clock));
      }),
    );
  });

  test('a window is open for exactly its length in minutes each day, (to - from) mod 1440', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }), (from, to) => {
        fc.pre(from !== to);
        let open = 0;
        for (let minute = 0; minute < 1440; minute++) if (windowOpen(w({ hours: { from, to } }), { day: '2026-12-01', minute })) open++;
        expect(open).toBe((to - from + 1440) % 1440);
      }),
      { numRuns: 50 },
    );
  });
});

describe('windowOpen: dates and hours together, across Shanghai midnight', () => {
  // A night shift 22:00-06:00 from 1 to 3 December.
  const nightShift = w({ validFrom: '2026-12-01', validUntil: '2026-12-03', hours: hours('22:00', '06:00') });

  test.each([
    // The morning part of the first day belongs to the first day: dates apply to the moment's own day.
    ['2026-11-30', '23:00', false],
    ['2026-12-01', '00:30', true],
    ['2026-12-01', '12:00', false],
    ['2026-12-01', '22:00', true],
    ['2026-12-02', '05:59', true],
    ['2026-12-02', '06:00', false],
    ['2026-12-03', '23:59', true],
    // validUntil's night stops at midnight.
    ['2026-12-04', '00:00', false],
    ['2026-12-04', '00:30', false],
  ])('%s %s: %p', (day, time, open) => {
    expect(windowOpen(nightShift, at(day, time))).toBe(open);
  });

  test('the same, from UTC instants: 15:59Z and 16:00Z on validUntil straddle the end', () => {
    expect(windowOpen(nightShift, shanghaiClock(new Date('2026-12-03T15:59:00Z')))).toBe(true);
    expect(windowOpen(nightShift, shanghaiClock(new Date('2026-12-03T16:00:00Z')))).toBe(false);
  });
});

describe('parseHhMm and formatHhMm', () => {
  test.each([
    ['00:00', 0],
    ['07:30', 450],
    ['19:00', 1140],
    ['23:59', 1439],
  ])('%s is minute %i', (text, minute) => {
    expect(parseHhMm(text)).toBe(minute);
    expect(formatHhMm(minute)).toBe(text);
  });

  test.each(['24:00', '25:00', '23:60', '7:30', '07:5', '0730', ' 07:30', '07:30 ', '07:30:00', '-1:00', '', 'noon', 730, null, undefined, { h: 7 }])('refuses %p', (value) => {
    expect(parseHhMm(value)).toBeNull();
  });

  test('every minute of the day survives format then parse', () => {
    for (let minute = 0; minute < 1440; minute++) expect(parseHhMm(formatHhMm(minute))).toBe(minute);
  });
});
