import { maskName, Output } from './output';

describe('maskName (the receipts rule)', () => {
  test.each([
    ['张秀英', '张*英'],
    ['张三', '张*'],
    ['欧阳娜娜', '欧**娜'],
    ['张', '*'],
    ['', '*'],
    ['  李四  ', '李*'],
    ['𠀀𠀁𠀂', '𠀀*𠀂'],
  ])('%p → %p', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});

describe('Output', () => {
  function sinks() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
  }

  test('human: results on stdout, status and errors on stderr, debug only when verbose', () => {
    const s = sinks();
    const o = new Output(false, s.stdout, s.stderr, false);
    o.result('payment', { result: 'approved' }, 'APPROVED 04A1B2C3 12.50');
    o.status('reader', { name: 'ACR122U' }, 'reader: ACR122U');
    o.error('fatal', {}, 'card-reader: no');
    o.debug('short-tap', {}, '(short tap)');
    expect(s.out).toEqual(['APPROVED 04A1B2C3 12.50\n']);
    expect(s.err).toEqual(['reader: ACR122U\n', 'card-reader: no\n']);
  });

  test('json: every event one line on stdout, with its name and time', () => {
    const s = sinks();
    const o = new Output(true, s.stdout, s.stderr, true);
    o.result('payment', { result: 'approved', amount: '12.50' }, 'ignored');
    o.status('reader', { name: 'ACR122U' }, 'ignored');
    o.debug('short-tap', { detail: 'x' }, 'ignored');
    expect(s.err).toEqual([]);
    expect(s.out.map((l) => JSON.parse(l))).toEqual([
      { event: 'payment', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), result: 'approved', amount: '12.50' },
      { event: 'reader', at: expect.any(String), name: 'ACR122U' },
      { event: 'short-tap', at: expect.any(String), detail: 'x' },
    ]);
    expect(s.out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });
});
