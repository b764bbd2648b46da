import { readFileSync } from 'node:fs';

/** A V8 CPU profile (the .cpuprofile format). */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface LayerRow {
  layer: string;
  ms: number;
  /** Percent of the main thread's busy (non-idle) samples. */
  percent: number;
  /** Main-thread time per answered request, in microseconds. */
  usPerRequest: number;
}

export interface FunctionRow {
  name: string;
  ms: number;
  percent: number;
  usPerRequest: number;
}

export interface ProfileBreakdown {
  file: string;
  requests: number;
  wallSeconds: number;
  busySeconds: number;
  /** Main-thread busy time per answered request, in microseconds. */
  busyUsPerRequest: number;
  /**
   * Every busy sample charged to one layer: the innermost frame on its stack that
   * belongs to a known layer (a Node internal like streams, events or a native
   * `writev` is charged to whoever called it). Adds up to 100%.
   */
  layers: LayerRow[];
  /** Time with the function anywhere on the stack, for the functions a check goes through. */
  inclusive: FunctionRow[];
  /** Self time by function, the top ones. */
  self: FunctionRow[];
}

const DATABASE = 'database client (knex, pg)';

/** Layers in the order they are tried on each frame; the first that claims a frame wins. */
const LAYERS: { layer: string; test: (f: CallFrame, path: string) => boolean }[] = [
  { layer: 'garbage collection', test: (f) => f.functionName === '(garbage collector)' },
  // Builtins show up with no script; JSON work anywhere (Fastify's body parse and answer, pino's lines) lands here.
  { layer: 'JSON.parse / JSON.stringify (builtins, any caller)', test: (f, p) => !p && (f.functionName === 'stringify' || f.functionName === 'parse' || f.functionName === 'JSONStringify' || f.functionName === 'JSONParse') },
  { layer: 'request logging (pino-http, nestjs-pino, pino)', test: (_f, p) => /\/node_modules\/(pino|pino-http|nestjs-pino|pino-std-serializers|fast-redact|sonic-boom|thread-stream|on-exit-leak-free|fast-safe-stringify|quick-format-unescaped|atomic-sleep)\//.test(p) },
  { layer: 'validation (ValidationPipe, class-validator, class-transformer; or the hand parser)', test: (_f, p) => /\/node_modules\/(class-validator|class-transformer|validator|libphonenumber-js)\//.test(p) || /@nestjs\/common\/pipes\/validation\.pipe/.test(p) || /\/dist\/src\/common\/validation\.js/.test(p) || /\/dist\/src\/access\/dto\/check-access\.body\.js/.test(p) || /\/dist\/src\/cards\/(uid|dto\/card-requests\.dto)\.js/.test(p) },
  { layer: 'fast lane (src/lane, check-route: routing, body read, JSON parse and send, error bodies)', test: (_f, p) => /\/dist\/src\/lane\//.test(p) || /\/dist\/src\/access\/check-(lane|route)\.js/.test(p) },
  // assertDoorScope lives in src/auth but is the handler's first step.
  { layer: 'our handler (CQRS bus, door scope, index decision, access-log record)', test: (_f, p) => /\/dist\/src\/auth\/scope\.js/.test(p) || /\/dist\/src\/access\/(commands\/check-access|access-feed|access-index|windows|access-log)/.test(p) || /\/node_modules\/@nestjs\/cqrs\//.test(p) },
  { layer: 'auth (guard: bearer parse, SHA-256 of the key, principal cache)', test: (f, p) => /\/dist\/src\/auth\//.test(p) || (f.functionName === 'digest' && !p) },
  { layer: DATABASE, test: (_f, p) => /\/node_modules\/(knex|pg|pg-protocol|pg-pool|pg-types|pg-connection-string|pgpass|tarn|postgres-array|postgres-date|postgres-interval|postgres-bytea)\//.test(p) },
  { layer: 'metrics (prom-client histogram in the onResponse hook)', test: (_f, p) => /\/node_modules\/prom-client\//.test(p) || /\/dist\/src\/(ops\/metrics|app)\.js/.test(p) },
  { layer: 'Nest pipeline (router, guards/pipes/interceptors, rxjs, filters)', test: (_f, p) => /\/node_modules\/(@nestjs\/(core|common|platform-fastify)|rxjs|reflect-metadata|iterare|tslib)\//.test(p) || /\/dist\/src\/(access\/changes-access|common\/error\.filter|auth\/principal)\.js/.test(p) },
  { layer: 'Fastify (routing, request/reply, hooks, body parser, middie, JSON in/out)', test: (_f, p) => /\/node_modules\/(fastify|find-my-way|@fastify\/[^/]+|avvio|secure-json-parse|fast-json-stringify|fast-querystring|toad-cache|light-my-request|process-warning|abstract-logging|fast-content-type-parse|rfdc|ret|safe-regex2|fast-decode-uri-component|path-to-regexp)\//.test(p) },
  { layer: 'Node HTTP (parser, server, outgoing, socket writes)', test: (_f, p) => /^node:_http_/.test(p) || /^node:internal\/http/.test(p) },
  { layer: 'promise hooks (AsyncLocalStorage, async_hooks)', test: (_f, p) => /^node:(internal\/)?async_hooks/.test(p) || /^node:internal\/async_local_storage/.test(p) },
];

/** Reads a profile taken while `requests` checks were answered, and charges its time to layers. */
export function breakDownProfile(file: string, requests: number): ProfileBreakdown {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** Database client time split by what asked for it, where the stack says (pg parses results in its socket callback, with no caller). */
  const databaseWork = (from: number): string => {
    let parsingArrays = false;
    for (let cur: number | undefined = from; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      if (/\/dist\/src\/access\/access-log\.js/.test(url)) return 'database client: access-log batched INSERTs (knex build, pg send)';
      if (/\/dist\/src\/auth\//.test(url)) return 'database client: API key look-ups (knex build, pg send)';
      if (/\/node_modules\/postgres-array\//.test(url)) parsingArrays = true;
    }
    // The only array column read on this path is api_keys.door_ids (up to 1,000 UUIDs per key).
    return parsingArrays ? 'database client: parsing API key rows (door_ids uuid[] arrays)' : 'database client: pg socket reads and other result parsing';
  };
  const layerOfNode = new Map<number, string>();
  const layerOf = (id: number): string => {
    const known = layerOfNode.get(id);
    if (known !== undefined) return known;
    let found = '';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      const path = frame.url.replace(/^file:\/\//, '');
      const hit = LAYERS.find((l) => l.test(frame, path));
      if (hit) {
        found = hit.layer === DATABASE ? databaseWork(cur) : hit.layer;
        break;
      }
    }
    if (!found) {
      const leaf = byId.get(id)!.callFrame;
      found = leaf.functionName === '(program)' ? '(program: V8 and native, not attributable)' : `other (${leaf.url ? moduleOf(leaf.url) : leaf.functionName || 'anonymous'})`;
    }
    layerOfNode.set(id, found);
    return found;
  };

  const layers = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let total = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  for (let i = 0; i < profile.samples.length; i++) {
    const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    total += us;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    add(layers, layerOf(node.id), us);
    add(self, key(node.callFrame), us);
    const seen = new Set<string>();
    for (let cur: number | undefined = node.id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (!seen.has(k)) {
        seen.add(k);
        add(inclusive, k, us);
      }
    }
  }
  const busy = total - idle;
  const perReq = (us: number) => (requests > 0 ? Math.round((us / requests) * 10) / 10 : NaN);
  const rows = (m: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
    [...m]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / busy) / 10, usPerRequest: perReq(us) }));
  return {
    file,
    requests,
    wallSeconds: Math.round(total / 1e4) / 100,
    busySeconds: Math.round(busy / 1e4) / 100,
    busyUsPerRequest: perReq(busy),
    layers: rows(layers, 30).map((r) => ({ layer: r.name, ms: r.ms, percent: r.percent, usPerRequest: r.usPerRequest })),
    inclusive: rows(inclusive, 40, (k) => INTERESTING.some((re) => re.test(k))),
    self: rows(self, 30),
  };
}

/** Functions a check passes through, whose inclusive time is worth a line of its own. */
const INTERESTING = [
  /^parserOnHeadersComplete /,
  /^(runPreParsing|handleRequest|preValidationCallback|preHandlerCallback|wrapThenable|onSendEnd|serialize) fastify\//,
  /^(ValidationPipe\.)?transform @nestjs\/common\/pipes\/validation\.pipe/,
  /^validate(Sync)? class-validator\//,
  /^plainToInstance class-transformer\//,
  /^canActivate dist\/src\/auth\//,
  /^authenticate dist\/src\/auth\//,
  /^hashApiKey /,
  /^execute dist\/src\/access\/commands\/check-access/,
  /^decide dist\/src\/access\/access-(feed|index)/,
  /^record dist\/src\/access\/access-log/,
  /^write dist\/src\/access\/access-log/,
  /^assertDoorScope /,
  /^(findActiveByHash|lookUp|principalFor) dist\/src\/auth\//,
  /^newEntry postgres-array\//,
  /^deprecate node:internal\/util/,
  /^(check|parseCheckBody|handle|answer|claims|readBody|send|parseJson) dist\/src\/access\//,
  /^(handle|answer|readJsonBody|parseBody|send|routeFor) dist\/src\/lane\//,
  /^(loggingMiddleware|onResFinished|pinoLogger) /,
  /^(child|write|asJson) pino\//,
  /^(intercept|handle) /,
  /^observe prom-client\//,
  /^(create|tryActivate|canActivate) @nestjs\/core\/guards/,
  /^(apply|applyPipes) @nestjs\/core\/pipes/,
  /^intercept @nestjs\/core\/interceptors/,
  /^(run|runWithContext|enterWith) node:/,
  /^\(garbage collector\)$/,
  /^writev?$|^writeBuffer$|^writeUtf8String$|^writeSync$/,
];

function key(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${short(frame.url)}:${frame.lineNumber + 1}`;
}

function short(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + 1) : path;
}

function moduleOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + 1) : path;
}
