import { parseCli } from '../args';
import { ApiClient } from '../http';
import { Output } from '../output';
import type { ReaderBridge } from '../reader-bridge';
import { FatalError } from './mode';
import { describeTap, stationMode, type StationTap } from './station';

const CARD = '5f0c6a52-8d1e-4a53-9a57-0b3c2f1e9d01';
const tapped = (over: Partial<StationTap> = {}): StationTap => ({ station: 'S1', uid: '04A1B2C3D4E5F6', at: '2026-11-02T02:00:00.000Z', card: null, retired: false, ...over });
const holder = { id: 'r1', name: '张秀英', idNumberMasked: '110105********002X' };
const card = (status: 'active' | 'locked', lockReason: 'lost' | null = null) => ({
  id: CARD,
  uid: '04A1B2C3D4E5F6',
  residentId: 'r1',
  status,
  lockReason,
  replacesCardId: null,
  issuedAt: '2026-11-01T00:00:00.000Z',
  resident: holder,
});

describe('describeTap', () => {
  test('a card: its id, status and the holder masked; a blank card; a retired UID', () => {
    expect(describeTap(tapped({ card: card('active') }))).toBe(`S1 04A1B2C3D4E5F6 → card ${CARD} active, 张*英`);
    expect(describeTap(tapped({ card: card('locked', 'lost') }))).toBe(`S1 04A1B2C3D4E5F6 → card ${CARD} locked (lost), 张*英`);
    expect(describeTap(tapped())).toBe('S1 04A1B2C3D4E5F6 → blank card');
    expect(describeTap(tapped({ retired: true }))).toMatch(/^S1 04A1B2C3D4E5F6 → retired UID/);
  });
});

describe('station mode', () => {
  type Reply = { status: number; body: unknown } | Error;

  /** The mode with a fake service answering `replies` in order (GET /v1/desk/me first). */
  async function mode(replies: Reply[], argv: string[] = []) {
    const options = parseCli(['station', '--station', 'S1', ...argv], { CARD_READER_KEY: 'cck_op' })!;
    const calls: { method: string; url: string; body?: string }[] = [];
    const fetchImpl = (async (url: URL, init: RequestInit) => {
      calls.push({ method: init.method!, url: url.pathname, body: init.body as string | undefined });
      const reply = replies.shift() ?? { status: 500, body: {} };
      if (reply instanceof Error) throw Object.assign(new TypeError('fetch failed'), { cause: reply });
      return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'Content-Type': 'application/json' } });
    }) as unknown as typeof fetch;
    const lines: string[] = [];
    const errors: string[] = [];
    const out = new Output(false, { write: (s: string) => lines.push(s.trimEnd()) }, { write: (s: string) => errors.push(s.trimEnd()) });
    const api = new ApiClient({ baseUrl: 'http://service', key: options.key, timeoutMs: 1000, fetchImpl });
    const m = await stationMode({ options, api, out, bridge: {} as ReaderBridge, signal: new AbortController().signal });
    return { m, calls, lines, errors };
  }
  const tap = { reader: 'ACS ACR122U', uid: '04A1B2C3D4E5F6', atr: '' };
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

  test('each tap is POSTed to the station with its UID and printed', async () => {
    const { m, calls, lines } = await mode([{ status: 200, body: { name: 'desk', role: 'operator' } }, { status: 202, body: tapped({ card: card('active') }) }]);
    expect(await m.onTap(tap)).toBe('continue');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /v1/desk/me', 'POST /v1/stations/S1/taps']);
    expect(JSON.parse(calls[1].body!)).toEqual({ uid: tap.uid });
    expect(lines).toEqual([`S1 04A1B2C3D4E5F6 → card ${CARD} active, 张*英`]);
  });

  test('no answer: retried with backoff, then given up with a message, and the next tap still goes', async () => {
    const { m, calls, lines, errors } = await mode([{ status: 200, body: {} }, refused, { status: 503, body: { code: 'service_unavailable' } }, refused, refused, refused, { status: 202, body: tapped() }], ['--retry-for', '1']);
    const started = Date.now();
    expect(await m.onTap(tap)).toBe('continue');
    // 200 ms, then 500 ms between attempts; the next wait (1 s) would pass --retry-for 1.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(3);
    expect(errors.filter((e) => e.startsWith('…'))).toHaveLength(2);
    expect(errors.at(-1)).toBe('S1 04A1B2C3D4E5F6 → NOT REPORTED: cannot reach the service (ECONNREFUSED) (3 attempts); tap again');
    expect(lines).toEqual([]);
    calls.length = 0;
    await m.onTap(tap);
    // Still refused twice more, then answered.
    expect(calls).toHaveLength(3);
    expect(lines).toEqual(['S1 04A1B2C3D4E5F6 → blank card']);
  });

  test('a refused key stops the bridge, at start or at a tap; an unreachable service at start is only a warning', async () => {
    await expect(mode([{ status: 401, body: { code: 'unauthorized', message: 'unknown API key' } }])).rejects.toThrow(FatalError);
    await expect(mode([{ status: 403, body: { code: 'forbidden' } }])).rejects.toThrow('this API key may not report taps');
    const { m, errors } = await mode([refused, { status: 403, body: { code: 'forbidden' } }]);
    expect(errors).toEqual([expect.stringContaining('warning: cannot reach the service (ECONNREFUSED)')]);
    await expect(m.onTap(tap)).rejects.toThrow(FatalError);
  });

  test('a refusal that another try will not change is printed, not retried', async () => {
    const { m, calls, errors } = await mode([{ status: 200, body: {} }, { status: 400, body: { code: 'validation_failed', message: ['uid: must be hex'] } }]);
    expect(await m.onTap(tap)).toBe('continue');
    expect(calls).toHaveLength(2);
    expect(errors).toEqual(['S1 04A1B2C3D4E5F6 → NOT REPORTED: 400 validation_failed: uid: must be hex']);
  });
});
