import { parseCli, UsageError } from './args';

const env = { CARD_READER_KEY: 'cck_desk', HOME: '/home/desk' };
const RESIDENT = '0b0e7c1a-2f3d-4c5e-8a9b-0c1d2e3f4a5b';

describe('parseCli', () => {
  test('issue --resident: the key from the environment, defaults filled in', () => {
    expect(parseCli(['issue', '--resident', RESIDENT], env)).toEqual({
      mode: 'issue',
      api: 'http://127.0.0.1:3000',
      key: 'cck_desk',
      json: false,
      verbose: false,
      reader: undefined,
      debounceMs: 1500,
      timeoutMs: 5000,
      socketPath: '/run/pcscd/pcscd.comm',
      mifareKey: 'FFFFFFFFFFFF',
      retryForMs: 30_000,
      syncIntervalMs: 30_000,
      residentId: RESIDENT,
    });
  });

  test('flags win over the environment; PCSCLITE_CSOCK_NAME moves the socket', () => {
    const o = parseCli(['lookup', '--api', 'https://card.example', '--key', 'cck_flag', '--json'], { ...env, CARD_READER_API: 'http://other', PCSCLITE_CSOCK_NAME: '/tmp/p.comm' })!;
    expect(o).toMatchObject({ api: 'https://card.example', key: 'cck_flag', json: true, socketPath: '/tmp/p.comm' });
  });

  test('issue --replace needs a reason, and takes lost, stolen or damaged', () => {
    const replacing = parseCli(['issue', '--replace', RESIDENT, '--reason', 'damaged'], env)!;
    expect(replacing).toMatchObject({ replaceCardId: RESIDENT, reason: 'damaged' });
    expect(replacing.residentId).toBeUndefined();
    expect(() => parseCli(['issue', '--replace', RESIDENT], env)).toThrow('--replace needs --reason lost, stolen or damaged');
    expect(() => parseCli(['issue', '--replace', RESIDENT, '--reason', 'bored'], env)).toThrow(UsageError);
    expect(() => parseCli(['issue', '--resident', RESIDENT, '--reason', 'lost'], env)).toThrow('--reason goes with --replace');
  });

  test.each([
    [['pay', '--amount', '12.50'], '12.50'],
    [['pay', '--amount', '3'], '3'],
    [['pay', '--amount', '0.01'], '0.01'],
  ])('pay %p', (argv, amount) => {
    expect(parseCli(argv, env)).toMatchObject({ mode: 'pay', amount });
  });

  test.each(['0', '0.00', '1.234', '-5', '12,50', '1e3', '012.50', ''])('pay --amount %p is refused', (amount) => {
    expect(() => parseCli(['pay', '--amount', amount], env)).toThrow(UsageError);
  });

  test('door: a door id, the list file under the state directory, a shorter request timeout', () => {
    const door = 'A1B2C3D4-0000-4000-8000-000000000001';
    expect(parseCli(['door', '--door', door], { ...env, CARD_READER_STATE_DIR: '/var/lib/desk' })).toMatchObject({
      doorId: door.toLowerCase(),
      allowlistPath: '/var/lib/desk/door-a1b2c3d4-0000-4000-8000-000000000001.json',
      timeoutMs: 1500,
    });
    expect(parseCli(['door', '--door', door], env)!.allowlistPath).toBe('/home/desk/.local/state/card-reader/door-a1b2c3d4-0000-4000-8000-000000000001.json');
    expect(parseCli(['door', '--door', door, '--sync', '5', '--timeout', '800'], env)).toMatchObject({ syncIntervalMs: 5000, timeoutMs: 800 });
  });

  test('station: the station id as the service takes it, retried for 3 s by default', () => {
    expect(parseCli(['station', '--station', 'S1'], env)).toMatchObject({ mode: 'station', stationId: 'S1', key: 'cck_desk', retryForMs: 3000, timeoutMs: 5000, debounceMs: 1500 });
    expect(parseCli(['station', '--station', 'desk_2-b', '--retry-for', '10', '--json'], env)).toMatchObject({ stationId: 'desk_2-b', retryForMs: 10_000, json: true });
    expect(parseCli(['station', '--station', 'A'.repeat(32)], env)!.stationId).toBe('A'.repeat(32));
    expect(parseCli(['pay', '--amount', '1.00'], env)!.retryForMs).toBe(30_000);
  });

  test.each(['', '-S1', '_S1', 'S 1', 'S/1', '../S1', 'S1?x', 'A'.repeat(33), '工位1', 'S1\n'])('station --station %p is refused', (station) => {
    expect(() => parseCli(['station', `--station=${station}`], env)).toThrow(`--station must be 1-32 letters, digits, "-" or "_", starting with a letter or digit, not "${station}"`);
  });

  test('station needs --station and a key; --station is only for station', () => {
    expect(() => parseCli(['station'], env)).toThrow('station needs --station ID, e.g. --station S1');
    expect(() => parseCli(['station', '--station', 'S1'], {})).toThrow('an API key is needed');
    expect(() => parseCli(['lookup', '--station', 'S1'], env)).toThrow('--station does not apply to lookup');
    expect(() => parseCli(['station', '--station', 'S1', '--amount', '1.00'], env)).toThrow('--amount does not apply to station');
    expect(() => parseCli(['lookup', '--retry-for', '5'], env)).toThrow('--retry-for does not apply to lookup');
  });

  test('readers needs no key', () => {
    expect(parseCli(['readers'], {})).toMatchObject({ mode: 'readers', key: '' });
  });

  test.each([
    [[], 'which mode?'],
    [['open'], 'unknown mode "open": issue, lookup, pay, door, station or readers'],
    [['lookup', 'pay'], 'one mode only'],
    [['lookup'], 'an API key is needed'],
    [['lookup', '--frobnicate'], "Unknown option '--frobnicate'"],
    [['lookup', '--amount', '1.00'], '--amount does not apply to lookup'],
    [['pay', '--amount', '1.00', '--door', RESIDENT], '--door does not apply to pay'],
    [['issue'], 'issue needs --resident ID'],
    [['issue', '--resident', 'not-a-uuid'], '--resident must be a UUID'],
    [['door'], '--door ID is needed'],
    [['lookup', '--debounce', 'soon'], '--debounce must be a whole number'],
    [['lookup', '--timeout', '0'], '--timeout must be a whole number of at least 1'],
    [['issue', '--resident', RESIDENT, '--mifare-key', 'FFFF'], '--mifare-key must be 6 bytes'],
    [['lookup', '--api', 'ftp://x'], '--api must be an http(s) URL'],
  ])('%p: %s', (argv, message) => {
    expect(() => parseCli(argv as string[], argv.length === 1 && argv[0] === 'lookup' ? {} : env)).toThrow(message);
  });

  test('--help', () => {
    expect(parseCli(['--help'], env)).toBeNull();
  });
});
