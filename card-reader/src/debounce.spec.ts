import { Debouncer } from './debounce';

describe('Debouncer', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  test('the first sight of a UID is a tap', () => {
    expect(new Debouncer(1500, clock).accept('04A1B2C3')).toBe(true);
  });

  test('the same UID within the window is not', () => {
    const d = new Debouncer(1500, clock);
    d.accept('04A1B2C3');
    now += 1499;
    expect(d.accept('04A1B2C3')).toBe(false);
  });

  test('the same UID once the window has passed is a new tap', () => {
    const d = new Debouncer(1500, clock);
    d.accept('04A1B2C3');
    now += 1500;
    expect(d.accept('04A1B2C3')).toBe(true);
  });

  test('the window slides: a card that keeps bouncing taps once', () => {
    const d = new Debouncer(1500, clock);
    expect(d.accept('04A1B2C3')).toBe(true);
    for (let i = 0; i < 10; i++) {
      now += 1000;
      expect(d.accept('04A1B2C3')).toBe(false);
    }
  });

  test('another UID is a tap of its own', () => {
    const d = new Debouncer(1500, clock);
    d.accept('04A1B2C3');
    expect(d.accept('04A1B2C4')).toBe(true);
  });

  test('a zero window lets every sight through', () => {
    const d = new Debouncer(0, clock);
    expect(d.accept('04A1B2C3')).toBe(true);
    expect(d.accept('04A1B2C3')).toBe(true);
  });
});
