import type { Role } from '../../src/auth/roles';
import { billBody } from '../support/bills';
import { cardUid, phoneNumber, residentBody } from '../support/residents';
import { allowanceBody, discountBody } from '../support/subsidies';
import { bodyViolation, fieldKind, RawJson, toJsonText, UUID, STATION, type FieldKind } from './contract';
import type { Endpoint, Schema } from './endpoints';
import { isUuidParam, keysFor, realParam, realParamKind, type World } from './fixtures';
import { Rng } from '../support/rng';
import * as V from './values';

/**
 * Turns a case number into a request: an endpoint of the app, a valid request for it
 * (a real key of an allowed role, real ids, a body the factories would send), then one
 * to a few mutations of its path, query, headers or body. Requests to endpoints that
 * move money always carry at least one certain violation ("poison"), applied last.
 * About one case in twelve is sent as raw bytes over a socket instead (raw.ts).
 */

export interface HttpCase {
  kind: 'http';
  index: number;
  /** The endpoint it aims at ("POST /v1/payments"), or "wild ..." for paths outside the API. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Certainly bad input (or no valid key): must be answered 4xx. Holds the reason. */
  refusal?: string;
  /** Aimed at a money-moving endpoint: must be refused before it runs (no 402/409/422). */
  money: boolean;
  /** A closed connection is an acceptable answer (bodies past the limit, upgrades). */
  tolerateClose: boolean;
  notes: string[];
}

export interface RawCase {
  kind: 'raw';
  index: number;
  label: string;
  bytes: Buffer;
  /** Close our side right after writing (the request is incomplete on purpose). */
  halfClose: boolean;
  /** Complete responses to wait for before hanging up (pipelined requests: more than one). */
  responses: number;
  notes: string[];
}

export type FuzzCase = HttpCase | RawCase;

export interface Generator {
  caseFor(index: number): FuzzCase;
}

// ---------------------------------------------------------------------------------
// valid requests

type Seed = (w: World, r: Rng) => unknown;

/** Valid bodies, as the factories send them. Endpoints not listed get one built from their schema. */
const SEEDS: Record<string, Seed> = {
  'POST /v1/api-keys': (w, r) =>
    r.pick([
      { role: 'auditor', name: 'fuzz auditor' },
      { role: 'merchant', name: 'fuzz till', merchantId: w.merchantId },
      { role: 'door', name: 'fuzz door', doorIds: [w.doorId] },
      { role: 'operator', name: 'Desk 9' },
    ]),
  'POST /v1/residents': () => residentBody(),
  'POST /v1/residents/lookup': (w) => ({ idNumber: w.residentIdNumber }),
  'PATCH /v1/residents/:id': () => ({ phone: phoneNumber(), address: { community: '金杨新村', building: '12号楼', room: '302' }, tags: ['dibao'] }),
  'POST /v1/cards': (w) => ({ residentId: w.residentIds[2], uid: cardUid() }),
  'POST /v1/cards/:id/lock': (_, r) => ({ reason: r.pick(['lost', 'stolen', 'suspended']) }),
  'POST /v1/cards/:id/replace': (_, r) => ({ uid: cardUid(), reason: r.pick(['lost', 'stolen', 'damaged']) }),
  'POST /v1/merchants': () => ({ name: '金杨社区长者食堂', category: 'canteen' }),
  'POST /v1/top-ups': (w) => ({ cardId: w.cardId, amount: '10.00', method: 'cash' }),
  'POST /v1/payments/:id/refunds': () => ({ amount: '1.00' }),
  'POST /v1/payments': (w) => ({ uid: w.cardUid, amount: '1.00', description: '午餐' }),
  'POST /v1/subsidy-programs': (_, r) => (r.chance(0.5) ? allowanceBody() : discountBody({ dailyLimit: 2 })),
  'POST /v1/subsidy-programs/:id/funding': () => ({ amount: '100.00' }),
  'POST /v1/subsidy-programs/:id/disbursements': () => ({ period: '2026-12' }),
  'POST /v1/bills': (w) => billBody(w.residentIds[0]),
  'POST /v1/bills/:id/payments': (w) => ({ cardId: w.cardId }),
  'POST /v1/charity-projects': () => ({ name: '社区助老基金', goal: '1000.00' }),
  'POST /v1/donations': (w) => ({ cardId: w.cardId, projectId: w.projectId, amount: '1.00' }),
  'POST /v1/doors': () => ({ name: 'fuzz gate', community: '金杨新村', building: '12号楼' }),
  'POST /v1/doors/:id/grants': (w) => ({ residentId: w.residentIds[1], validFrom: '2026-12-01', validUntil: '2027-05-31', hours: { from: '22:00', to: '06:00' } }),
  'POST /v1/access/check': (w) => ({ doorId: w.doorId, uid: w.cardUid }),
  'POST /v1/stations/:id/taps': (w) => ({ uid: w.cardUid }),
  'POST /v1/desk/residents/search': () => ({ name: '张' }),
};

/** A valid-looking value for a field nobody wrote a seed for. */
function sampleFor(w: World, name: string, s: Schema | undefined, r: Rng, depth = 0): unknown {
  if (s?.example !== undefined) return s.example;
  const kind = fieldKind(name, s);
  switch (kind) {
    case 'enum':
      return r.pick(s!.enum!);
    case 'object':
      return depth > 5 ? {} : Object.fromEntries(Object.entries(s!.properties!).map(([k, v]) => [k, sampleFor(w, k, v, r, depth + 1)]));
    case 'array':
      return [sampleFor(w, name.replace(/s$/, ''), s?.items, r, depth + 1)];
    case 'int':
      return 1;
    case 'money':
    case 'moneyPattern':
      return '1.00';
    case 'uuid':
      return idForField(w, name);
    case 'uid':
      return w.cardUid;
    case 'idNumber':
      return w.residentIdNumber;
    case 'phone':
      return '13800138000';
    case 'day':
      return '2026-12-01';
    case 'period':
      return '2026-12';
    case 'hhmm':
      return '08:00';
    default:
      return 'fuzz';
  }
}

function idForField(w: World, name: string): string {
  const n = name.replace(/s$/, '');
  if (n.startsWith('resident')) return w.residentIds[0];
  if (n.startsWith('card')) return w.cardId;
  if (n.startsWith('door')) return w.doorId;
  if (n.startsWith('merchant')) return w.merchantId;
  if (n.startsWith('project')) return w.projectId;
  if (n.startsWith('program')) return w.programId;
  if (n.startsWith('payment')) return w.paymentId;
  if (n.startsWith('bill')) return w.billId;
  if (n.startsWith('grant')) return w.grantId;
  return w.residentIds[0];
}

function validBody(e: Endpoint, w: World, r: Rng): unknown {
  const seed = SEEDS[e.key];
  if (seed) return seed(w, r);
  if (!e.schema?.properties) return {};
  return Object.fromEntries(Object.entries(e.schema.properties).map(([k, s]) => [k, sampleFor(w, k, s, r)]));
}

function validCsv(w: World, r: Rng, lines = 2): string {
  const rows = Array.from({ length: lines }, (_, i) => `${w.residentIds[0]},${r.pick(['water', 'electricity', 'gas', 'property'])},${r.int(1, 999)}.${r.int(10, 99)},2099-0${r.int(1, 9)}-1${r.int(0, 9)},FZ-${r.hex(6)}-${i}`);
  return ['residentId,payee,amount,dueDate,reference', ...rows].join('\n') + '\n';
}

function validQuery(e: Endpoint, w: World, r: Rng): [string, string][] {
  const out: [string, string][] = [];
  for (const q of e.query) {
    if (!r.chance(0.4)) continue;
    const v = queryValue(e, w, q, r);
    if (v !== undefined) out.push([q, v]);
  }
  return out;
}

function queryValue(e: Endpoint, w: World, q: string, r: Rng): string | undefined {
  switch (q) {
    case 'limit':
      return String(r.int(1, 500));
    case 'cursor':
      return w.cursors[e.key];
    case 'uid':
      return w.cardUid;
    case 'date':
      return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    case 'status':
      return e.path.includes('bills') ? r.pick(['paid', 'unpaid']) : r.pick(['approved', 'declined']);
    case 'period':
      return '2026-12';
    case 'since':
      return String(r.int(0, 3));
    case 'cardId':
      return w.cardId;
    case 'from':
      return '2026-01-01T00:00:00Z';
    case 'to':
      return '2099-01-01T00:00:00Z';
    default:
      return 'fuzz';
  }
}

// ---------------------------------------------------------------------------------
// body mutations: on the parsed body (a JSON tree with RawJson leaves)

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawJson);

/** Paths to every object member in the tree, for picking a field to mutate. */
function fieldPaths(v: Json, prefix: string[] = [], out: string[][] = []): string[][] {
  if (isObj(v)) {
    for (const k of Object.keys(v)) {
      out.push([...prefix, k]);
      if (prefix.length < 4) fieldPaths(v[k], [...prefix, k], out);
    }
  }
  return out;
}

function getAt(v: Json, path: string[]): Json {
  let cur = v;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
}

function setAt(v: Json, path: string[], value: Json | undefined): void {
  let cur = v;
  for (const p of path.slice(0, -1)) cur = isObj(cur) ? cur[p] : undefined;
  if (!isObj(cur)) return;
  const last = path[path.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function schemaAt(schema: Schema | undefined, path: string[]): Schema | undefined {
  let s = schema;
  for (const p of path) s = s?.properties?.[p];
  return s;
}

const deepArray = (n: number) => new RawJson('['.repeat(n) + ']'.repeat(n), 'array');
const deepObject = (n: number) => new RawJson('{"a":'.repeat(n) + '1' + '}'.repeat(n), 'object');

const HUGE = 5 * 1024 * 1024;
let hugeString: string | undefined;
/** A 5 MB string, made once. */
const huge = () => (hugeString ??= 'A'.repeat(HUGE));

/** Values aimed at a field of a kind: certainly bad ones, and odd ones that may be fine. */
function hostileFor(kind: FieldKind, w: World, r: Rng): Json {
  switch (kind) {
    case 'money':
    case 'moneyPattern':
      return r.chance(0.85) ? r.pick(V.MONEY_INVALID) : r.pick(V.MONEY_ODD);
    case 'uuid':
      return r.chance(0.8) ? r.pick(V.uuidInvalid(idForField(w, 'resident'))) : r.pick([...V.uuidOdd(w.cardId), r.uuid(), w.cardId, w.doorId, w.paymentId]);
    case 'uid':
      return r.chance(0.8) ? r.pick(V.UID_INVALID) : r.pick(V.UID_ODD);
    case 'idNumber':
      return r.pick(V.ID_NUMBERS_ODD);
    case 'phone':
      return r.pick(V.PHONES_ODD);
    case 'day':
      return r.pick(V.DAYS);
    case 'period':
      return r.pick(V.PERIODS);
    case 'hhmm':
      return r.pick(V.HH_MM);
    case 'int':
      return r.chance(0.8)
        ? r.pick(V.INTS_ODD)
        : r.pick([new RawJson('1e400', 'number'), new RawJson('-0', 'number', true), new RawJson('9007199254740993', 'number', true), new RawJson('1.0', 'number', true), new RawJson('1E2', 'number', true)]);
    case 'array':
      return r.pick(V.SLUG_ARRAYS);
    case 'enum':
      return r.pick(['', 'LOST', 'lost ', ' lost', 'Lost', 'lоst', 'lost\u0000', 'other', 'admin ', 'ADMIN', 0, null, ['lost'], {}, ...V.JUNK_STRINGS]);
    default:
      return r.pick(V.NASTY_STRINGS);
  }
}

const UNKNOWN_FIELDS = ['extra', 'isAdmin', 'role', 'balance', 'amount ', 'Amount', '', ' ', 'id', 'status', 'approved', '$where', 'a.b', '__proto__', 'constructor', 'toString', '\u0000', '中文', 'x'.repeat(300)];

interface BodyState {
  value: Json | undefined;
  notes: string[];
}

type BodyOp = (b: BodyState, e: Endpoint, w: World, r: Rng) => void;

const BODY_OPS: [number, BodyOp][] = [
  // drop a field
  [
    3,
    (b, _e, _w, r) => {
      const paths = fieldPaths(b.value);
      if (paths.length === 0) return;
      const p = r.pick(paths);
      setAt(b.value, p, undefined);
      b.notes.push(`drop ${p.join('.')}`);
    },
  ],
  // add an unknown field, at the top or nested
  [
    3,
    (b, _e, _w, r) => {
      if (!isObj(b.value)) return;
      const objects = [[], ...fieldPaths(b.value).filter((p) => isObj(getAt(b.value, p)))];
      const at = r.pick(objects);
      const name = r.pick(UNKNOWN_FIELDS);
      const target = at.length ? getAt(b.value, at) : b.value;
      // defineProperty: an assignment to "__proto__" would set the prototype, not add a field.
      if (isObj(target)) Object.defineProperty(target, name, { value: r.pick<Json>([1, 'x', true, null, {}, [], r.pick(V.NASTY_STRINGS)]), enumerable: true, configurable: true, writable: true });
      b.notes.push(`add ${[...at, name].join('.')}`);
    },
  ],
  // a hostile value for the field's kind
  [
    6,
    (b, e, w, r) => {
      const paths = fieldPaths(b.value);
      if (paths.length === 0) return;
      const p = r.pick(paths);
      const kind = fieldKind(p[p.length - 1], schemaAt(e.schema, p));
      setAt(b.value, p, hostileFor(kind, w, r));
      b.notes.push(`hostile ${kind} in ${p.join('.')}`);
    },
  ],
  // a nasty string in any field
  [
    3,
    (b, _e, _w, r) => {
      const paths = fieldPaths(b.value);
      if (paths.length === 0) return;
      const p = r.pick(paths);
      setAt(b.value, p, r.pick(V.NASTY_STRINGS));
      b.notes.push(`nasty string in ${p.join('.')}`);
    },
  ],
  // another JSON type
  [
    3,
    (b, _e, _w, r) => {
      const paths = fieldPaths(b.value);
      if (paths.length === 0) return;
      const p = r.pick(paths);
      setAt(b.value, p, r.pick(V.TYPE_CHANGES));
      b.notes.push(`type change in ${p.join('.')}`);
    },
  ],
  // 10,000 levels of nesting in a field, or as the whole body
  [
    1,
    (b, _e, _w, r) => {
      const deep = r.chance(0.5) ? deepArray(r.pick([1000, 10_000, 30_000])) : deepObject(r.pick([1000, 5000, 10_000]));
      const paths = fieldPaths(b.value);
      if (paths.length === 0 || r.chance(0.3)) {
        b.value = deep;
        b.notes.push(`body nested ${deep.text.length} bytes deep`);
      } else {
        const p = r.pick(paths);
        setAt(b.value, p, deep);
        b.notes.push(`nested ${deep.text.length} bytes deep in ${p.join('.')}`);
      }
    },
  ],
  // a long string: just under, around and far over the 64 KiB body limit
  [
    1,
    (b, _e, _w, r) => {
      const paths = fieldPaths(b.value);
      if (paths.length === 0) return;
      const p = r.pick(paths);
      const n = r.pick([60_000, 65_536, 70_000, HUGE]);
      setAt(b.value, p, n === HUGE ? huge() : 'A'.repeat(n));
      b.notes.push(`${n}-character string in ${p.join('.')}`);
    },
  ],
  // the whole body another JSON value
  [
    1,
    (b, _e, _w, r) => {
      b.value = r.pick<Json>([null, 0, -1, 1e308, true, false, 'string', '', [], [b.value], [{}], { a: b.value }, new RawJson('1e400', 'number'), new RawJson('-0', 'number', true)]);
      b.notes.push(`body replaced by ${toJsonText(b.value).slice(0, 40)}`);
    },
  ],
  // an array field: huge, duplicated, mixed
  [
    1,
    (b, _e, _w, r) => {
      const paths = fieldPaths(b.value).filter((p) => Array.isArray(getAt(b.value, p)));
      if (paths.length === 0) return;
      const p = r.pick(paths);
      const cur = getAt(b.value, p) as Json[];
      setAt(
        b.value,
        p,
        r.pick<Json>([Array.from({ length: 10_000 }, () => cur[0] ?? 'x'), [...cur, ...cur], [cur[0], 1, null, {}, []], Array.from({ length: 1001 }, () => r.uuid())]),
      );
      b.notes.push(`array mutation in ${p.join('.')}`);
    },
  ],
];

// ---------------------------------------------------------------------------------
// text-level body mutations: bytes that are not (or not quite) JSON

interface TextMutation {
  name: string;
  /** Meant to break JSON (whether it did is checked on the result). */
  bad: boolean;
  make(valid: string, r: Rng): Buffer;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** encodeURIComponent that never throws: lone surrogates go out as the replacement character's bytes. */
function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const INVALID_UTF8: Buffer[] = [Buffer.from([0xff]), Buffer.from([0xfe, 0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe4, 0xb8]), Buffer.from([0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

const TEXT_MUTATIONS: TextMutation[] = [
  { name: 'truncated', bad: true, make: (v, r) => utf8(v.slice(0, r.int(1, Math.max(1, v.length - 1)))) },
  { name: 'trailing garbage', bad: true, make: (v) => utf8(v + 'x') },
  { name: 'two documents', bad: true, make: (v) => utf8(v + v) },
  { name: 'trailing comma', bad: true, make: (v) => utf8(v.replace(/}$/, ',}')) },
  { name: 'single quotes', bad: true, make: (v) => utf8(v.replace(/"/g, "'")) },
  { name: 'comment', bad: true, make: (v) => utf8('/* c */' + v) },
  { name: 'NaN literal', bad: true, make: (v) => utf8(v.replace(/}$/, ',"n":NaN}')) },
  { name: 'unquoted key', bad: true, make: (v) => utf8(v.replace(/^\{"([^"]+)"/, '{$1')) },
  { name: 'raw control character in a string', bad: true, make: (v) => utf8(v.replace(/":"/, '":"\u0001\n')) },
  { name: 'bad escape', bad: true, make: (v) => utf8(v.replace(/":"/, '":"\\x41')) },
  { name: 'short unicode escape', bad: true, make: (v) => utf8(v.replace(/":"/, '":"\\u12')) },
  { name: 'escaped lone surrogate', bad: false, make: (v) => utf8(v.replace(/":"/, '":"\\ud800')) },
  { name: 'escaped NUL', bad: false, make: (v) => utf8(v.replace(/":"/, '":"\\u0000')) },
  { name: 'BOM', bad: false, make: (v) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(v)]) },
  { name: 'leading whitespace', bad: false, make: (v) => utf8(' \n\t\r'.repeat(2000) + v) },
  { name: 'empty', bad: true, make: () => Buffer.alloc(0) },
  { name: 'whitespace only', bad: true, make: () => utf8('   ') },
  { name: 'null', bad: false, make: () => utf8('null') },
  { name: 'duplicate keys', bad: false, make: (v) => utf8(v.replace(/^\{/, '{"amount":"1.00","uid":"x",')) },
  { name: 'huge number', bad: false, make: (v) => utf8(v.replace(/}$/, ',"n":1' + '0'.repeat(1000) + '}')) },
  { name: 'invalid UTF-8 in a string', bad: false, make: (v, r) => insertBytes(v, r.pick(INVALID_UTF8), r) },
  { name: 'invalid UTF-8 outside strings', bad: true, make: (v, r) => Buffer.concat([r.pick(INVALID_UTF8), utf8(v)]) },
  { name: 'UTF-16LE', bad: true, make: (v) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(v, 'utf16le')]) },
  { name: 'NUL bytes', bad: true, make: (v) => Buffer.concat([utf8(v), Buffer.alloc(16)]) },
  { name: 'random bytes', bad: false, make: (_v, r) => r.bytes(r.int(1, 2000)) },
  { name: 'exactly 64 KiB', bad: false, make: (v) => utf8(v.replace(/^\{/, `{"pad":"${'p'.repeat(Math.max(0, 65536 - v.length - 10))}",`)) },
];

/** Bytes inside the first string value of a JSON text (or at the end). */
function insertBytes(text: string, bytes: Buffer, r: Rng): Buffer {
  const at = text.indexOf('":"');
  if (at < 0) return Buffer.concat([utf8(text), bytes]);
  const cut = at + 3 + (r.chance(0.5) ? 0 : 1);
  return Buffer.concat([utf8(text.slice(0, cut)), bytes, utf8(text.slice(cut))]);
}

// ---------------------------------------------------------------------------------
// path and query mutations

interface ParamVariant {
  text: string;
  /** Certainly not a valid id for the parameter. */
  bad: boolean;
}

function paramVariant(e: Endpoint, param: string, w: World, r: Rng): ParamVariant {
  const real = realParam(w, e.path, param);
  if (realParamKind(e.path, param) === 'station') {
    const v = r.chance(0.7) ? r.pick(V.STATION_IDS_ODD) : r.pick(['S2', 'desk-2', 'A'.repeat(32)]);
    return { text: pct(v), bad: !STATION.test(v) };
  }
  const other = r.pick([w.cardId, w.doorId, w.residentIds[1], w.paymentId, w.programId, w.billId]);
  const variants: ParamVariant[] = [
    { text: r.uuid(), bad: false },
    { text: real.toUpperCase(), bad: false },
    { text: '00000000-0000-0000-0000-000000000000', bad: false },
    { text: 'ffffffff-ffff-ffff-ffff-ffffffffffff', bad: false },
    { text: other, bad: false },
    { text: real + 'x', bad: true },
    { text: real.slice(0, -1), bad: true },
    { text: real.replace(/-/g, ''), bad: true },
    { text: `%7B${real}%7D`, bad: true },
    { text: '%00', bad: true },
    { text: real + '%00', bad: true },
    { text: '%2e%2e', bad: true },
    { text: '..', bad: false },
    { text: '.', bad: false },
    { text: '%2F', bad: true },
    { text: real + '%2F', bad: true },
    { text: real + '%2Fx', bad: true },
    { text: 'a'.repeat(199), bad: true },
    { text: 'a'.repeat(201), bad: true },
    { text: 'a'.repeat(3000), bad: true },
    { text: pct("' OR '1'='1"), bad: true },
    { text: pct("1; DROP TABLE cards; --"), bad: true },
    { text: '%E0%A4%A', bad: true },
    { text: '%ff', bad: true },
    { text: '%', bad: true },
    { text: '%zz', bad: true },
    { text: '%C0%AF', bad: true },
    { text: '%u0041', bad: true },
    { text: `:${param}`, bad: true },
    { text: '%7Bid%7D', bad: true },
    { text: real + ';x=1', bad: false },
    { text: '%20' + real, bad: true },
    { text: pct('中文'), bad: true },
    { text: pct(V.CRLF_INJECTION), bad: true },
    { text: pct(real + '\r\n' + V.INJECTED_HEADER + ': 1'), bad: true },
    { text: 'null', bad: true },
    { text: '-1', bad: true },
    { text: '0', bad: true },
    { text: '1e3', bad: true },
    { text: '', bad: false },
  ];
  return r.pick(variants);
}

function hostileQueryValue(e: Endpoint, w: World, q: string, r: Rng): string {
  switch (q) {
    case 'limit':
      return r.pick(V.LIMITS);
    case 'cursor':
      return hostileCursor(w.cursors[e.key], r);
    case 'uid':
      return String(r.pick([...V.UID_INVALID, ...V.UID_ODD].filter((x) => typeof x === 'string')));
    case 'date':
      return String(r.pick(V.DAYS));
    case 'from':
    case 'to':
      return r.pick(V.INSTANTS);
    case 'period':
      return String(r.pick(V.PERIODS));
    case 'since':
      return r.pick(V.SINCES);
    case 'cardId':
      return String(r.pick(V.uuidInvalid(w.cardId).filter((x) => typeof x === 'string')));
    case 'status':
      return r.pick(['', 'PAID', 'paid ', 'all', '*', "paid' OR '1'='1", 'approved,declined', '%00']);
    default:
      return r.pick(V.NASTY_STRINGS);
  }
}

/** A value of the same shape as a cursor's leaf (an instant, a UUID, a number in a string), but absurd. */
function absurdLike(v: unknown, r: Rng): Json {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    return r.pick([
      '0000-01-01T00:00:00.000Z',
      '-1',
      '1',
      '2026',
      '2026-02-30T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-12-01T24:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      'Tue, 01 Dec 2026 00:00:00 GMT',
      '2026-12-01 00:00:00+99',
      v.replace('Z', '+14:00'),
    ]);
  }
  if (typeof v === 'string' && UUID.test(v)) {
    return r.pick(['-'.repeat(36), 'f'.repeat(36), 'g' + v.slice(1), v.toUpperCase(), v.replace(/-/g, ''), '00000000-0000-0000-0000-000000000000', v + '0', `${v.slice(0, 35)}'`]);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    return r.pick(['0', '-1', '01', '1e3', '9'.repeat(18), '9'.repeat(19), '9223372036854775807', '9223372036854775808', '1'.padStart(30, '0'), ' 1']);
  }
  if (typeof v === 'number') return r.pick([0, -1, 1e308, 1.5, 2 ** 63]);
  return r.pick(['', 'x', null, 0, [], {}]);
}

/** A cursor the service wrote, with its JSON leaves swapped for absurd values; or plain junk. */
function hostileCursor(real: string | undefined, r: Rng): string {
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
  if (real && r.chance(0.85)) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(real, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    if (isObj(decoded)) {
      const keys = Object.keys(decoded);
      const copy: Obj = { ...decoded };
      const k = r.pick(keys);
      copy[k] = r.chance(0.7) ? absurdLike(decoded[k], r) : r.pick<Json>([
        '999999999999999999',
        '9223372036854775808',
        '-1',
        '',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999Z',
        '+275760-09-13T00:00:00.000Z',
        'not a date',
        '2026-02-30T00:00:00Z',
        "1' OR '1'='1",
        'x\u0000',
        '00000000-0000-0000-0000-000000000000',
        '-'.repeat(36),
        'f'.repeat(36),
        '1',
        '2026',
        'Tue, 01 Dec 2026 00:00:00 GMT',
        '2026-12-01 00:00:00',
        'not-a-uuid',
        1e308,
        -1,
        null,
        true,
        [],
        {},
        'A'.repeat(400),
      ]);
      if (r.chance(0.2)) Object.defineProperty(copy, '__proto__', { value: { polluted: true }, enumerable: true });
      if (r.chance(0.2)) delete copy[k];
      return b64(copy);
    }
    return real.slice(0, -2);
  }
  return r.pick([b64('not json'), b64([]), b64(null), b64(1), b64({}), '!!!', '%00', 'A'.repeat(513), 'A'.repeat(512), b64({ id: '1' }), b64({ id: 1 }), b64('"x"'), '=', '====', real ? real + '=' : 'eyJ']);
}

// ---------------------------------------------------------------------------------
// headers

type HeaderOp = (h: Record<string, string | string[]>, r: Rng) => string;

const HEADER_OPS: HeaderOp[] = [
  (h, r) => ((h['accept'] = r.pick(V.ACCEPTS)), 'accept'),
  (h, r) => ((h['accept-encoding'] = r.pick(['gzip, deflate, br, zstd', 'x-unknown', '*;q=0', 'identity;q=0', ''])), 'accept-encoding'),
  (h, r) => ((h['accept-language'] = r.pick(['zh-CN', '*', 'x'.repeat(2000), "'; DROP"])), 'accept-language'),
  (h, r) => ((h['x-forwarded-for'] = r.pick(['1.1.1.1, 2.2.2.2', "'; DROP TABLE x", 'x'.repeat(1000), '::1', '999.999.999.999', ''])), 'x-forwarded-for'),
  (h, r) => ((h['x-forwarded-host'] = r.pick(['evil.example', '', 'x'.repeat(500)])), 'x-forwarded-host'),
  (h, r) => ((h['x-forwarded-proto'] = r.pick(['javascript', 'https, http', ''])), 'x-forwarded-proto'),
  (h, r) => ((h['x-http-method-override'] = r.pick(['DELETE', 'PUT', 'GET'])), 'method override'),
  (h, r) => ((h['request-id'] = r.pick(['x'.repeat(5000), "'; DROP", '\u00ff'])), 'request-id'),
  (h, r) => ((h['x-request-id'] = r.pick(['x'.repeat(5000), '../../', ''])), 'x-request-id'),
  (h, r) => ((h['origin'] = r.pick(['null', 'https://evil.example', 'x'])), 'origin'),
  (h, r) => ((h['cookie'] = r.pick(['a=b; a=c', '=;=;=', 'x'.repeat(4000), 'session=%00'])), 'cookie'),
  (h, r) => ((h['range'] = r.pick(['bytes=0-1', 'bytes=-1', 'bytes=9999999999-', 'lines=1-2'])), 'range'),
  (h, r) => ((h['if-none-match'] = r.pick(['*', '"x"', 'W/"x"', ''])), 'if-none-match'),
  (h, r) => ((h['if-modified-since'] = r.pick(['garbage', 'Thu, 01 Jan 1970 00:00:00 GMT', ''])), 'if-modified-since'),
  (h, r) => ((h['content-encoding'] = r.pick(['gzip', 'br', 'deflate', 'identity', 'x-unknown', 'gzip, gzip'])), 'content-encoding'),
  (h, r) => ((h['expect'] = r.pick(['100-continue', 'foo', '200-ok'])), 'expect'),
  (h, r) => ((h['host'] = r.pick(['evil.example', '[::1]:99999', 'x'.repeat(300), 'localhost:0'])), 'host'),
  (h, r) => ((h['user-agent'] = r.pick(['x'.repeat(8000), '() { :; }; echo vulnerable', ''])), 'user-agent'),
  (h, r) => ((h['transfer-encoding'] = 'chunked'), 'chunked'),
  (h, r) => ((h['te'] = r.pick(['trailers', 'gzip'])), 'te'),
  (h, r) => ((h['forwarded'] = r.pick(['for=unknown;proto=x', 'for="[::1]:1"', ';;;'])), 'forwarded'),
  (h, r) => {
    for (let i = 0; i < r.int(50, 150); i++) h[`x-fuzz-${i}`] = r.hex(8);
    return 'many headers';
  },
  (h, r) => ((h['x-long'] = 'v'.repeat(r.pick([1000, 8000, 12_000]))), 'long header'),
  (h, r) => ((h['connection'] = 'close'), 'connection: close'),
];

// ---------------------------------------------------------------------------------
// the generator

export interface GeneratorOptions {
  seed: string;
  endpoints: Endpoint[];
  world: World;
  /** Share of cases sent as raw bytes (default 0.08). */
  rawShare?: number;
  /** Share of cases at paths outside the API (default 0.03). */
  wildShare?: number;
  raw: (index: number, r: Rng, e: Endpoint) => RawCase;
}

export function createGenerator(o: GeneratorOptions): Generator {
  const rawShare = o.rawShare ?? 0.08;
  const wildShare = o.wildShare ?? 0.03;
  return {
    caseFor(index: number): FuzzCase {
      const r = Rng.forCase(o.seed, index);
      const e = r.pick(o.endpoints);
      const roll = r.next();
      if (roll < rawShare) return o.raw(index, r, e);
      if (roll < rawShare + wildShare) return wildCase(index, r, o.world);
      return httpCase(index, r, e, o.world);
    },
  };
}

function httpCase(index: number, r: Rng, e: Endpoint, w: World): HttpCase {
  const notes: string[] = [];
  const refusals: string[] = [];
  let method = e.method;
  let tolerateClose = false;
  const headers: Record<string, string | string[]> = {};

  // The method: now and then another one on the same path.
  const otherMethod = r.chance(0.04);
  if (otherMethod) {
    method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'].filter((m) => m !== e.method));
    notes.push(`method ${method}`);
  }

  // The path: real ids, now and then one replaced.
  let path = e.path;
  for (const p of e.params) {
    if (r.chance(0.2)) {
      const v = paramVariant(e, p, w, r);
      path = path.replace(`:${p}`, v.text);
      notes.push(`param ${p}=${v.text.slice(0, 60)}`);
      if (v.bad) refusals.push(`path parameter ${p} is not a valid ${isUuidParam(e.path, p) ? 'UUID' : 'station id'}`);
    } else {
      path = path.replace(`:${p}`, realParam(w, e.path, p));
    }
  }

  // The query: valid values, then now and then hostile ones or unknown names.
  // A real cursor with absurd leaves: the service decodes it and queries the database with what is inside.
  const cursorFocus = !!w.cursors[e.key] && r.chance(0.2);
  const query = validQuery(e, w, r).filter(([k]) => !cursorFocus || k !== 'cursor');
  if (cursorFocus) {
    const v = hostileCursor(w.cursors[e.key], r);
    query.push(['cursor', pct(v)]);
    notes.push(`cursor ${Buffer.from(v, 'base64url').toString('utf8').slice(0, 80)}`);
  } else if (r.chance(e.method === 'GET' ? 0.45 : 0.1)) {
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) {
      const op = r.int(0, 4);
      if (op <= 1 && e.query.length > 0) {
        // A real cursor is worth more mutations than any other parameter: the service decodes it and queries with it.
        const q = w.cursors[e.key] && r.chance(0.4) ? 'cursor' : r.pick(e.query);
        const v = hostileQueryValue(e, w, q, r);
        const enc = r.chance(0.85) ? pct(v) : v;
        query.push([q, enc]);
        notes.push(`query ${q}=${enc.slice(0, 60)}`);
      } else if (op === 2) {
        const name = r.pick(['x', 'limit[]', 'limit[a]', '__proto__[x]', 'constructor[prototype][x]', 'a'.repeat(300), '', '%00', 'select', 'cursor.id', '中']);
        query.push([pct(name), pct(r.pick(V.NASTY_STRINGS).slice(0, 2000))]);
        notes.push(`unknown query ${name.slice(0, 30)}`);
        if (e.queryDto && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !['__proto__', 'constructor'].includes(name)) refusals.push(`unknown query parameter ${name}`);
      } else if (op === 3 && e.query.length > 0) {
        const q = r.pick(e.query);
        query.push([q, pct(queryValue(e, w, q, r) ?? 'x')], [q, pct(queryValue(e, w, q, r) ?? 'y')]);
        notes.push(`duplicate query ${q}`);
      } else {
        query.push([r.pick(['&&&', '=', '==', '&=&', '%', '%zz', '%E0%A4%A', '#frag', '?', '+', '%2B']), r.pick(['', '=', '%', 'x'])]);
        notes.push('mangled query string');
      }
    }
  }
  if (query.length > 0) path += '?' + query.map(([k, v]) => (v === '' && r.chance(0.3) ? k : `${k}=${v}`)).join('&');

  // Auth: a key of an allowed role, or a broken one. The roles are the endpoint's: under
  // another method the path may be another route (GET /v1/doors for POST /v1/doors) that
  // other roles, or no key, may call, so a key refusal is certain only under its own method.
  const allowed = keysFor(w, e);
  const refuseKey = (why: string) => {
    if (!otherMethod) refusals.push(why);
  };
  const authRoll = r.next();
  if (e.isPublic) {
    if (authRoll < 0.5) headers['authorization'] = `Bearer ${w.keys[r.pick(allowed.length ? allowed : (['admin'] as Role[]))]}`;
    else if (authRoll < 0.7) headers['authorization'] = r.pick(V.AUTH_BAD)[0](w.keys.admin);
  } else if (authRoll < 0.82) {
    headers['authorization'] = `Bearer ${w.keys[r.pick(allowed)]}`;
  } else {
    const kind = r.int(0, 4);
    const wrong = (Object.keys(w.keys) as Role[]).filter((k) => !allowed.includes(k));
    if (kind === 0) {
      notes.push('no authorization');
      refuseKey('no key');
    } else if (kind === 1) {
      headers['authorization'] = `Bearer ${w.revokedKey}`;
      notes.push('revoked key');
      refuseKey('a revoked key');
    } else if (kind === 2 && wrong.length > 0) {
      headers['authorization'] = `Bearer ${w.keys[r.pick(wrong)]}`;
      notes.push('key of a role not allowed');
      refuseKey('a key of a role not allowed');
    } else if (kind === 3) {
      headers['authorization'] = [`Bearer ${w.keys[r.pick(allowed)]}`, `Bearer ${w.revokedKey}`];
      notes.push('two authorization headers');
    } else {
      const [make, certain] = r.pick(V.AUTH_BAD);
      headers['authorization'] = make(w.keys[r.pick(allowed)]);
      notes.push(`bad authorization ${String(headers['authorization']).slice(0, 40)}`);
      if (certain) refuseKey('a malformed or unknown key');
    }
  }

  // The body.
  let body: Buffer | undefined;
  let parsed: unknown = undefined;
  let bodyIsBad: string | undefined;
  const wantsJson = e.body === 'json';
  const parsesBody = ['POST', 'PUT', 'PATCH'].includes(method) && method === e.method;
  if (e.body === 'csv' && method === e.method) {
    ({ body, bad: bodyIsBad } = csvBody(w, r, notes));
    headers['content-type'] = r.chance(0.9) ? 'text/csv' : r.pick(['text/csv; charset=utf-8', 'text/csv; charset=latin1', 'application/json', 'text/plain']);
    if (/latin1|text\/plain|application\/json/.test(String(headers['content-type']))) bodyIsBad ??= `CSV sent as ${String(headers['content-type'])}`;
  } else if (wantsJson || r.chance(e.method === 'GET' || e.method === 'DELETE' ? 0.05 : 0.3)) {
    parsed = wantsJson ? validBody(e, w, r) : r.pick<Json>([{}, { x: 1 }, [], 'x', null, 0, { reason: 'lost' }]);
    const state: BodyState = { value: parsed, notes };
    if (!wantsJson) notes.push(`body ${toJsonText(parsed).slice(0, 30)} on a route without one`);
    if (wantsJson && r.chance(0.88)) {
      const n = r.weighted<number>([
        [6, 1],
        [3, 2],
        [1, 3],
      ]);
      for (let i = 0; i < n; i++) r.weighted(BODY_OPS)(state, e, w, r);
    }
    parsed = state.value;
    const text = toJsonText(parsed);
    if (r.chance(0.08)) {
      const m = r.pick(TEXT_MUTATIONS);
      body = m.make(text, r);
      notes.push(`text: ${m.name}`);
      // Judged by what came out, not by the mutation's name: on some bodies it changes nothing
      // ("null" has no closing brace to put a NaN before).
      try {
        parsed = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
      } catch {
        bodyIsBad = `body text (${m.name}) is not JSON`;
      }
    } else {
      body = utf8(text);
    }
    headers['content-type'] = 'application/json';
  }

  // Content type mutations.
  if (body !== undefined && r.chance(0.08)) {
    const odd = r.chance(0.5);
    if (odd) {
      headers['content-type'] = r.pick(V.CONTENT_TYPES_ODD);
    } else {
      headers['content-type'] = r.pick(V.CONTENT_TYPES_OTHER.filter((t) => e.body !== 'csv' || !t.startsWith('text/csv')));
      if (body.length > 0) bodyIsBad ??= `media type ${headers['content-type']}`;
    }
    notes.push(`content-type ${String(headers['content-type']).slice(0, 40)}`);
  } else if (body !== undefined && r.chance(0.02)) {
    delete headers['content-type'];
    notes.push('no content-type');
    if (body.length > 0) bodyIsBad ??= 'a body without a content type';
  }

  if (body !== undefined && body.length > 64 * 1024 && e.body !== 'csv') {
    bodyIsBad = 'body past the 64 KiB limit';
    tolerateClose = true;
  }
  if (body !== undefined && body.length > 5 * 1024 * 1024) tolerateClose = true;
  if (!parsesBody) bodyIsBad = undefined;
  if (bodyIsBad) refusals.push(bodyIsBad);
  else if (parsesBody && body !== undefined && (wantsJson || e.body === 'refuses-body') && String(headers['content-type']).startsWith('application/json') && method === e.method) {
    const v = bodyViolation(e, parsed);
    if (v) refusals.push(v);
  } else if (parsesBody && body === undefined && wantsJson) {
    const v = bodyViolation(e, undefined);
    if (v) refusals.push(v);
  }

  // Idempotency-Key: a fresh valid one on money routes, unless the poison is the key.
  if (e.idempotent && !otherMethod) headers['idempotency-key'] = `fuzz-${r.hex(12)}`;
  else if (r.chance(0.05)) headers['idempotency-key'] = r.pick([...V.IDEMPOTENCY_KEYS_ODD, `fuzz-${r.hex(6)}`]);

  // Other headers.
  if (r.chance(0.15)) {
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) {
      const note = r.pick(HEADER_OPS)(headers, r);
      notes.push(`header ${note}`);
      if (note === 'content-encoding' && body !== undefined && body.length > 0 && !/^identity$/.test(String(headers['content-encoding']))) {
        // Fastify does not decompress: a gzip body that is plain JSON may still parse; no claim.
      }
    }
  }
  if (headers['connection'] === 'upgrade' || headers['expect'] !== undefined) tolerateClose = true;

  // Money routes: always refused. Other methods on their path carry no key at all.
  const money = e.idempotent;
  if (money) {
    if (otherMethod) {
      delete headers['idempotency-key'];
      refusals.push('another method, no Idempotency-Key');
    } else if (refusals.length === 0) {
      const poison = poisonFor(e, r, headers, parsed, body);
      notes.push(`poison: ${poison.note}`);
      if (poison.body !== undefined) {
        body = poison.body;
        headers['content-type'] = 'application/json';
      }
      refusals.push(poison.note);
    }
  }

  return {
    kind: 'http',
    index,
    label: e.key,
    method,
    path,
    headers,
    body: method === 'GET' && body === undefined ? undefined : body,
    refusal: refusals[0],
    money,
    tolerateClose,
    notes,
  };
}

/** A certain violation for a money route: a bad or missing key, or a body that breaks the contract. */
function poisonFor(e: Endpoint, r: Rng, headers: Record<string, string | string[]>, parsed: unknown, body: Buffer | undefined): { note: string; body?: Buffer } {
  const options: (() => { note: string; body?: Buffer } | undefined)[] = [
    () => {
      delete headers['idempotency-key'];
      return { note: 'no Idempotency-Key' };
    },
    () => {
      const k = r.pick(V.IDEMPOTENCY_KEYS_INVALID);
      headers['idempotency-key'] = k;
      return { note: `invalid Idempotency-Key (${k.length} chars)` };
    },
    () => {
      if (body !== undefined && !String(headers['content-type']).startsWith('application/json')) return undefined;
      const base: Obj = isObj(parsed) ? { ...parsed } : {};
      const name = r.pick(['extra', 'isAdmin', 'Amount', 'balance', 'approved', 'fee', 'x'.repeat(100)]);
      base[name] = r.pick<Json>([1, 'x', true, {}, [], '0.01']);
      return { note: `unknown field ${name.slice(0, 20)}`, body: utf8(toJsonText(base)) };
    },
    () => {
      const required = e.schema?.required ?? [];
      if (required.length === 0 || !isObj(parsed)) return undefined;
      const base: Obj = { ...parsed };
      const f = r.pick(required);
      delete base[f];
      return { note: `required ${f} missing`, body: utf8(toJsonText(base)) };
    },
    () => {
      const props = Object.entries(e.schema?.properties ?? {}).filter(([k, s]) => ['money', 'uuid', 'uid', 'enum', 'period', 'int'].includes(fieldKind(k, s)));
      if (props.length === 0 || (parsed !== undefined && !isObj(parsed))) return undefined;
      const [k, s] = r.pick(props);
      const kind = fieldKind(k, s);
      const pool: readonly Json[] =
        kind === 'money'
          ? V.MONEY_INVALID.filter((v) => v !== null)
          : kind === 'uid'
            ? V.UID_INVALID
            : kind === 'uuid'
              ? V.uuidInvalid('00000000-0000-4000-8000-000000000000')
              : kind === 'period'
                ? V.PERIODS
                : kind === 'int'
                  ? [1.5, '1', true, [], {}]
                  : ['', 'nope', 0, true, [], {}];
      const base: Obj = isObj(parsed) ? { ...parsed } : {};
      base[k] = r.pick(pool);
      const endpoint = e;
      if (!bodyViolation(endpoint, base)) return undefined;
      return { note: `bad ${kind} in ${k}`, body: utf8(toJsonText(base)) };
    },
    () => {
      const v = r.pick<Json>([[], ['x'], 'string', 0, 12.5, true]);
      return { note: `body is ${JSON.stringify(v)}`, body: utf8(JSON.stringify(v)) };
    },
  ];
  for (;;) {
    const got = r.pick(options)();
    if (got) return got;
  }
}

function csvBody(w: World, r: Rng, notes: string[]): { body: Buffer; bad?: string } {
  const valid = validCsv(w, r, r.int(1, 3));
  const m = r.int(0, 16);
  const note = (s: string) => notes.push(`csv: ${s}`);
  switch (m) {
    case 0:
      note('valid');
      return { body: utf8(valid) };
    case 1:
      note('garbage line');
      return { body: utf8(valid + r.pick(V.NASTY_STRINGS) + '\n') };
    case 2:
      note('extra column');
      return { body: utf8(valid.replace(/\n/g, ',extra\n')) };
    case 3:
      note('missing column');
      return { body: utf8(valid.replace(/,[^,\n]*\n/g, '\n')) };
    case 4:
      note('empty');
      return { body: Buffer.alloc(0) };
    case 5:
      note('BOM and CRLF');
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(valid.replace(/\n/g, '\r\n'))]) };
    case 6:
      note('unbalanced quote');
      return { body: utf8(valid.replace(/water|gas|electricity|property/, '"water')) };
    case 7:
      note('NUL bytes');
      return { body: Buffer.concat([utf8(valid), Buffer.alloc(8), utf8('\n')]) };
    case 8:
      note('invalid UTF-8');
      return { body: Buffer.concat([utf8(valid), r.pick(INVALID_UTF8), utf8('\n')]), bad: 'CSV that is not UTF-8' };
    case 9:
      note('formula');
      return { body: utf8(valid.replace(/FZ-/, '=HYPERLINK("http://evil")&FZ-')) };
    case 10:
      note('10,001 lines');
      return { body: utf8(validCsv(w, r, 10_001)) };
    case 11:
      note('over 5 MiB');
      return { body: Buffer.concat([utf8(valid), Buffer.alloc(5 * 1024 * 1024 + 10, 0x41)]), bad: 'CSV past 5 MiB' };
    case 12:
      note('10 KB reference');
      return { body: utf8(valid.replace(/FZ-/, 'FZ-' + 'R'.repeat(10_000))) };
    case 13:
      note('hostile values');
      return { body: utf8(`residentId,payee,amount,dueDate,reference\n${String(r.pick(V.uuidInvalid(w.residentIds[0])))},${r.pick(['WATER', '', 'x'])},${String(r.pick(V.MONEY_INVALID))},${String(r.pick(V.DAYS))},${r.pick(V.NASTY_STRINGS).slice(0, 100)}\n`) };
    case 14:
      note('JSON as CSV');
      return { body: utf8(JSON.stringify({ residentId: w.residentIds[0] })) };
    case 15:
      note('header only');
      return { body: utf8('residentId,payee,amount,dueDate,reference\n') };
    default:
      note('duplicate header, semicolons');
      return { body: utf8('residentId;payee;amount;dueDate;reference\nresidentId,residentId\n' + valid) };
  }
}

/** Requests outside the API: static files, traversal, odd spellings of real paths. */
function wildCase(index: number, r: Rng, w: World): HttpCase {
  const path = r.pick([
    '/',
    '/v1',
    '/v1/',
    '/V1/CARDS',
    '//v1//cards',
    '/v1/cards/',
    '/health/',
    '/health?x=' + pct(V.CRLF_INJECTION),
    '/metrics?name[]=x',
    '/docs',
    '/docs/',
    '/docs-json?x=1',
    '/docs/../package.json',
    '/docs/%2e%2e/%2e%2e/package.json',
    '/desk',
    '/desk/',
    '/desk/../package.json',
    '/desk/%2e%2e/package.json',
    '/desk/..%2fpackage.json',
    '/desk/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/desk/' + 'a'.repeat(300),
    '/desk/index.html%00.js',
    '/desk/%ff',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/v1/cards?uid[]=1&uid[]=2',
    '/v1/cards?__proto__[x]=1',
    `/v1/cards/${w.cardId}/../../residents`,
    `/v1/access/check?doorId=${w.doorId}`,
    '/v1/payments?',
    '/v1/payments/',
    '/v1/access/check/',
    '/v1/access/check%00',
    '/v1/payments;x=1',
    '/v1/payments#x',
    '/v1/residents/lookup',
    '/%00',
    '/%',
    '/' + 'x'.repeat(4000),
    '/v1/' + pct("' OR 1=1 --"),
  ]);
  const method = r.pick(['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
  const headers: Record<string, string | string[]> = {};
  if (r.chance(0.7)) headers['authorization'] = `Bearer ${w.keys[r.pick(Object.keys(w.keys) as Role[])]}`;
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD' && r.chance(0.6)) {
    body = utf8(JSON.stringify({ uid: w.cardUid, amount: '1.00' }));
    headers['content-type'] = 'application/json';
  }
  // Never a money request: no Idempotency-Key.
  return { kind: 'http', index, label: `wild ${method}`, method, path, headers, body, money: false, tolerateClose: false, notes: [`wild ${path.slice(0, 80)}`] };
}

export { UUID };
