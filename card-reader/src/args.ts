import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pcscdSocketPath } from './pcscd';

export const MODES = ['issue', 'lookup', 'pay', 'door', 'station', 'readers'] as const;
export type Mode = (typeof MODES)[number];

export interface Options {
  mode: Mode;
  api: string;
  key: string;
  json: boolean;
  verbose: boolean;
  /** Only readers whose name contains this. */
  reader?: string;
  debounceMs: number;
  /** Per HTTP request. */
  timeoutMs: number;
  socketPath: string;
  residentId?: string;
  replaceCardId?: string;
  reason?: 'lost' | 'stolen' | 'damaged';
  mifareKey: string;
  amount?: string;
  description?: string;
  /** How long a payment keeps being retried (same Idempotency-Key) before it is reported unconfirmed. */
  retryForMs: number;
  doorId?: string;
  allowlistPath?: string;
  publicKeyPath?: string;
  syncIntervalMs: number;
  /** station: the desk station whose console shows the taps ("S1"). */
  stationId?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: card-reader <mode> [options]

Modes:
  issue --resident ID                  wait for a tap, issue that card to the resident, write and verify its data
  issue --replace CARD_ID --reason R   the same, replacing a card (R: lost, stolen or damaged)
  lookup                               every tap: the card's status, the resident's masked name, the balance
  pay --amount 12.50                   every tap: charge the card (merchant key); APPROVED or DECLINED
  door --door ID                       every tap: ALLOW or DENY (door key); decides from a signed local list when offline
  station --station S1                 every tap: report it to the desk console of station S1 (operator key)
  readers                              list the readers pcscd sees

Options:
  --api URL            the service (env CARD_READER_API; default http://127.0.0.1:3000)
  --key KEY            the API key (env CARD_READER_KEY)
  --json               one JSON line per event on stdout
  --reader NAME        use only readers whose name contains NAME
  --description TEXT   pay: what the payment is for
  --allowlist FILE     door: where the signed list is kept (default: $CARD_READER_STATE_DIR/door-<ID>.json)
  --public-key FILE    door: the service's Ed25519 key (PEM) to trust, instead of fetching it
  --sync SECONDS       door: how often to fetch list changes (default 30)
  --timeout MS         per request (default 5000; door 1500)
  --retry-for SECONDS  pay: how long to retry a payment the service has not answered (default 30);
                       station: how long to retry reporting a tap (default 3)
  --debounce MS        the same card again within this is the same tap (default 1500)
  --mifare-key HEX     issue: key A of MIFARE Classic sector 1 (default FFFFFFFFFFFF)
  --verbose            also report short taps, repeated cards and reader warnings
  --help
`;

/** As the service checks it (src/stations/station-id.ts): 1-32 letters, digits, '-' or '_', starting with a letter or digit. */
export const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MONEY = /^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/;

/** The command line and environment, checked; UsageError says what is wrong. null: --help. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        api: { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        reader: { type: 'string' },
        resident: { type: 'string' },
        replace: { type: 'string' },
        reason: { type: 'string' },
        amount: { type: 'string' },
        description: { type: 'string' },
        door: { type: 'string' },
        station: { type: 'string' },
        allowlist: { type: 'string' },
        'public-key': { type: 'string' },
        sync: { type: 'string' },
        timeout: { type: 'string' },
        'retry-for': { type: 'string' },
        debounce: { type: 'string' },
        'mifare-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return null;
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'which mode? issue, lookup, pay, door, station or readers' : `one mode only, not: ${positionals.join(' ')}`);
  const mode = positionals[0] as Mode;
  if (!MODES.includes(mode)) throw new UsageError(`unknown mode "${positionals[0]}": issue, lookup, pay, door, station or readers`);

  const api = v.api ?? env.CARD_READER_API ?? 'http://127.0.0.1:3000';
  if (!/^https?:\/\/[^/]/.test(api)) throw new UsageError(`--api must be an http(s) URL, not "${api}"`);
  const key = v.key ?? env.CARD_READER_KEY ?? '';
  if (mode !== 'readers' && !key) throw new UsageError('an API key is needed: --key or CARD_READER_KEY');

  const only = (names: (keyof typeof v)[], modes: Mode[]) => {
    for (const name of names) if (v[name] !== undefined && !modes.includes(mode)) throw new UsageError(`--${name} does not apply to ${mode}`);
  };
  only(['resident', 'replace', 'reason', 'mifare-key'], ['issue']);
  only(['amount', 'description'], ['pay']);
  only(['retry-for'], ['pay', 'station']);
  only(['door', 'allowlist', 'public-key', 'sync'], ['door']);
  only(['station'], ['station']);

  const options: Options = {
    mode,
    api,
    key,
    json: v.json!,
    verbose: v.verbose!,
    reader: v.reader,
    debounceMs: integer('debounce', v.debounce, 1500, 0),
    timeoutMs: integer('timeout', v.timeout, mode === 'door' ? 1500 : 5000, 1),
    socketPath: pcscdSocketPath(env),
    mifareKey: (v['mifare-key'] ?? 'FFFFFFFFFFFF').toUpperCase(),
    // A tap report is not money: soon given up, so the desk taps again rather than waits.
    retryForMs: integer('retry-for', v['retry-for'], mode === 'station' ? 3 : 30, 0) * 1000,
    syncIntervalMs: integer('sync', v.sync, 30, 1) * 1000,
  };
  if (!/^[0-9A-F]{12}$/.test(options.mifareKey)) throw new UsageError('--mifare-key must be 6 bytes of hex (12 digits)');

  if (mode === 'issue') {
    if (v.replace !== undefined) {
      options.replaceCardId = uuid('replace', v.replace);
      if (v.reason !== 'lost' && v.reason !== 'stolen' && v.reason !== 'damaged') throw new UsageError('--replace needs --reason lost, stolen or damaged');
      options.reason = v.reason;
      if (v.resident !== undefined) options.residentId = uuid('resident', v.resident);
    } else {
      if (v.reason !== undefined) throw new UsageError('--reason goes with --replace');
      if (v.resident === undefined) throw new UsageError('issue needs --resident ID (or --replace CARD_ID --reason R)');
      options.residentId = uuid('resident', v.resident);
    }
  }
  if (mode === 'pay') {
    if (v.amount === undefined) throw new UsageError('pay needs --amount, e.g. --amount 12.50');
    if (!MONEY.test(v.amount) || Number(v.amount) <= 0) throw new UsageError(`--amount must be yuan greater than zero with at most two decimals, e.g. 12.50, not "${v.amount}"`);
    options.amount = v.amount;
    options.description = v.description;
  }
  if (mode === 'door') {
    options.doorId = uuid('door', v.door);
    options.allowlistPath = v.allowlist ?? join(stateDir(env), `door-${options.doorId.toLowerCase()}.json`);
    options.publicKeyPath = v['public-key'];
  }
  if (mode === 'station') {
    if (v.station === undefined) throw new UsageError('station needs --station ID, e.g. --station S1');
    if (!STATION_ID.test(v.station)) throw new UsageError(`--station must be 1-32 letters, digits, "-" or "_", starting with a letter or digit, not "${v.station}"`);
    options.stationId = v.station;
  }
  return options;
}

function uuid(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} ID is needed`);
  if (!UUID.test(value)) throw new UsageError(`--${name} must be a UUID, not "${value}"`);
  return value.toLowerCase();
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, not "${value}"`);
  return Number(value);
}

/** CARD_READER_STATE_DIR, else the XDG state directory. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.CARD_READER_STATE_DIR) return env.CARD_READER_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'card-reader');
}
