import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../../src/config/app-config';
import { startTestApp, type TestApp } from '../support/app';
import { sealEverything } from '../support/seal';
import { createAgent, httpCaseToRaw, isMalformedHttp, sendHttp, sendRaw, type HttpAnswer } from './client';
import { enumerateEndpoints, type Endpoint } from './endpoints';
import { buildWorld, collectCursors, type World } from './fixtures';
import { createGenerator, type FuzzCase } from './generate';
import { rawCase } from './raw';
import { moneySnapshot, snapshotDiff, summary, type MoneySnapshot } from './snapshot';
import { judgeHttp, judgeRaw, type Verdict } from './verdict';

/**
 * The bad-input campaign (`npm run test:fuzz`): FUZZ_REQUESTS (default 20,000) generated
 * malformed requests against every endpoint the app serves, over real HTTP to a
 * listening app so the node:http fast lane is hit too. Every request must be answered
 * (a client timeout per request, FUZZ_TIMEOUT_MS, fails that case), never with a 5xx;
 * every error answer must be the contract's JSON; and the money in the database must be
 * exactly what it was before. Seeded: FUZZ_SEED replays a run, FUZZ_CASES=12,345 replays
 * single cases of it. FUZZ_CONCURRENCY (default 12) requests are in flight at once.
 */

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 20_000);
const SEED = process.env.FUZZ_SEED || String(randomInt(2 ** 31 - 1));
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 12);
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 30_000);
const ONLY = process.env.FUZZ_CASES ? process.env.FUZZ_CASES.split(',').map((s) => Number(s.trim())) : undefined;
/** Jest's own limit is lifted: the per-request timeout is the only clock. */
const NO_LIMIT = 2 ** 31 - 1;

interface Problem {
  index: number;
  label: string;
  problem: string;
  request: string;
  answer: string;
}

class Tally {
  sent = 0;
  byEndpoint = new Map<string, number>();
  byOutcome = new Map<string, number>();
  byKind = new Map<string, number>();
  /** Requests certainly bad (the generator's reading of the contract), and how they were answered. */
  certainlyBad = new Map<string, number>();
  moneyRequests = 0;
  /** Non-contract 4xx answers to raw bytes, from the HTTP parser below the app, by shape. */
  parserLevel = new Map<string, number>();
  /** Problems grouped by what went wrong and the answer's status and code. */
  problems = new Map<string, { count: number; endpoints: Map<string, number>; examples: Problem[] }>();

  add(label: string, kind: string, v: Verdict): void {
    this.sent++;
    bump(this.byEndpoint, label.replace(/^raw /, ''));
    bump(this.byOutcome, v.outcome);
    bump(this.byKind, kind);
    if (v.parserLevel) bump(this.parserLevel, v.parserLevel);
  }

  problem(p: Problem, answerCode: string): void {
    const key = `${p.problem.replace(/\s*\(.*\)$/, '')} → ${answerCode}`;
    const group = this.problems.get(key) ?? { count: 0, endpoints: new Map<string, number>(), examples: [] };
    group.count++;
    bump(group.endpoints, p.label.replace(/^raw /, ''));
    if (group.examples.length < 3) group.examples.push(p);
    this.problems.set(key, group);
  }

  get problemCount(): number {
    return [...this.problems.values()].reduce((n, g) => n + g.count, 0);
  }
}

/** "500 internal_error", "400 FST_ERR_BAD_URL", "417 (no body)": the status and code of an answer. */
function answerCode(answer: string): string {
  const status = /^(\d{3})/.exec(answer)?.[1] ?? answer.split(':')[0];
  const code = /"code":"([^"]*)"/.exec(answer)?.[1];
  return code ? `${status} ${code}` : `${status}${/"statusCode"/.test(answer) ? ' (no code)' : ''}`;
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function describeRequest(c: FuzzCase): string {
  if (c.kind === 'raw') return `raw bytes ${JSON.stringify(clip(c.bytes.toString('latin1'), 600))} [${c.notes.join('; ')}]`;
  const headers = Object.entries(c.headers)
    .filter(([k]) => !k.startsWith('x-fuzz-'))
    .map(([k, v]) => `${k}: ${clip(JSON.stringify(v), 120)}`)
    .join(' | ');
  const body = c.body === undefined ? '(none)' : JSON.stringify(clip(c.body.toString('utf8'), 400));
  return `${c.method} ${clip(c.path, 300)} | ${headers} | body ${body} [${c.notes.join('; ')}]`;
}

describe('bad-input campaign', () => {
  let t: TestApp;
  let port: number;
  let endpoints: Endpoint[];
  let world: World;
  let before: MoneySnapshot;
  const serverErrors = new Map<string, number>();
  /** The cases in flight when a server error was logged (to find which request caused it). */
  const inFlight = new Map<number, FuzzCase>();
  const errorContexts = new Map<string, string[][]>();

  beforeAll(async () => {
    // Server errors (level 50+) are kept to name the cause of a 5xx; nothing else is logged.
    const logStream = {
      write(line: string) {
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string; stack?: string; code?: string } };
          if ((entry.level ?? 0) < 50) return;
          const stack = (entry.err?.stack ?? '').split('\n').slice(0, 8).join('\n');
          const key = entry.err?.stack || entry.err?.message ? `${entry.msg} ${entry.err?.type ?? ''} ${entry.err?.code ?? ''}: ${entry.err?.message ?? ''}\n${stack}` : clip(line.replace(/"time":\d+,|"pid":\d+,|"hostname":"[^"]*",/g, ''), 800);
          bump(serverErrors, key);
          const seen = errorContexts.get(key) ?? [];
          if (seen.length < 3) seen.push([...inFlight.values()].map((c) => `case ${c.index} ${c.label}: ${clip(describeRequest(c), 300)}`));
          errorContexts.set(key, seen);
        } catch {
          bump(serverErrors, line.slice(0, 300));
        }
      },
    };
    const config: Partial<AppConfig> = { logLevel: 'error' };
    // Per-key rate limits would turn the campaign into 429s; lift them if the service has them.
    if ('rateLimitPerSecond' in new AppConfig()) (config as Record<string, unknown>).rateLimitPerSecond = 0;
    t = await startTestApp({ config, logStream });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;

    const doc = await fetch(`http://127.0.0.1:${port}/docs-json`).then((r) => r.json());
    endpoints = enumerateEndpoints(t.app, doc as Parameters<typeof enumerateEndpoints>[1]);
    world = await buildWorld(t);
    await collectCursors(t, world, endpoints);
    await sealEverything(t.knex);
    before = await moneySnapshot(t.knex);
  }, NO_LIMIT);

  afterAll(async () => {
    await t?.close();
  }, NO_LIMIT);

  test(
    `${ONLY ? ONLY.length : REQUESTS} malformed requests: no 5xx, no hang, contract errors only, money untouched`,
    async () => {
      const out = (s = '') => process.stdout.write(s + '\n');
      out(`\nfuzz: seed ${SEED} (replay: FUZZ_SEED=${SEED}), ${ONLY ? `cases ${ONLY.join(',')}` : `${REQUESTS} requests`}, concurrency ${CONCURRENCY}, timeout ${TIMEOUT_MS} ms per request, database ${t.db.mode}`);
      out(`fuzz: ${endpoints.length} endpoints from GET /docs-json, Nest's route table and the fast lane:`);
      for (const e of endpoints) {
        out(
          `  ${e.key.padEnd(48)} ${e.served.padEnd(5)} ${(e.isPublic ? 'public' : (e.roles ?? ['?']).join(',')).padEnd(32)} body:${e.body.padEnd(12)}${e.idempotent ? ' money' : ''}${e.documented ? '' : ' (not in OpenAPI)'}`,
        );
      }
      out(`fuzz: real cursors to mutate, from: ${Object.keys(world.cursors).join(', ') || 'none'}`);
      out(`fuzz: money before: ${summary(before)}`);

      const generator = createGenerator({ seed: SEED, endpoints, world, raw: (i, r, e) => rawCase(world, i, r, e) });
      const agent = createAgent(CONCURRENCY);
      const tally = new Tally();
      const indices = ONLY ?? Array.from({ length: REQUESTS }, (_, i) => i);
      const started = Date.now();
      let next = 0;
      // An error no request handler caught (a socket error with no listener): reported with its stack.
      const stray: string[] = [];
      const onStray = (err: Error) => void stray.push(clip(err?.stack ?? String(err), 1500));
      process.on('uncaughtException', onStray);

      const run = async (c: FuzzCase): Promise<void> => {
        // Replaying single cases: show them whole.
        if (ONLY) out(`fuzz: case ${c.index}: ${c.kind === 'raw' ? JSON.stringify(c.bytes.toString('latin1')) : `${c.method} ${JSON.stringify(c.path)} ${JSON.stringify(c.headers)} ${JSON.stringify(c.body?.toString('utf8') ?? null)}`} [${c.notes.join('; ')}]`);
        inFlight.set(c.index, c);
        try {
          await judge(c);
        } finally {
          inFlight.delete(c.index);
        }
      };
      const judge = async (c: FuzzCase): Promise<void> => {
        let verdict: Verdict;
        let answer = '';
        let kind: string = c.kind;
        if (c.kind === 'http') {
          const a: HttpAnswer = isMalformedHttp(c) ? { clientRefused: 'not valid HTTP/1.1' } : await sendHttp(agent, port, c, TIMEOUT_MS);
          if (a.clientRefused) {
            const raw = httpCaseToRaw(c);
            const ra = await sendRaw(port, raw, TIMEOUT_MS);
            verdict = judgeRaw(raw, ra, TIMEOUT_MS);
            if (!verdict.problem && c.money && ra.responses.some((x) => [402, 409, 422].includes(x.status))) verdict = { ...verdict, problem: 'a money route ran on a request it had to refuse' };
            kind = 'http sent raw';
            answer = ra.responses.map((x) => `${x.status} ${clip(x.body.toString('utf8'), 300)}`).join(' / ') || 'closed';
          } else {
            verdict = judgeHttp(c, a, TIMEOUT_MS);
            answer = a.status === undefined ? `no answer: ${a.error ?? 'timeout'}` : `${a.status} ${a.headers?.['content-type'] ?? ''} ${clip((a.body ?? Buffer.alloc(0)).toString('utf8'), 400)}`;
            if (verdict.problem && a.previousOnConnection !== undefined) {
              answer += `\n      before it on this connection: case ${a.previousOnConnection}: ${clip(describeRequest(generator.caseFor(a.previousOnConnection)), 500)}`;
            }
          }
        } else {
          const a = await sendRaw(port, c, TIMEOUT_MS);
          verdict = judgeRaw(c, a, TIMEOUT_MS);
          answer = a.responses.map((x) => `${x.status} ${JSON.stringify(x.headers['content-type'] ?? null)} ${clip(x.body.toString('utf8'), 300)}`).join(' / ') || (a.timedOut ? 'timeout' : 'closed');
        }
        if (ONLY) out(`fuzz: case ${c.index} answer: ${answer || verdict.outcome}`);
        tally.add(c.label, kind, verdict);
        if (c.kind === 'http' && c.refusal) bump(tally.certainlyBad, verdict.outcome);
        if (c.kind === 'http' && c.money) tally.moneyRequests++;
        if (verdict.problem) tally.problem({ index: c.index, label: c.label, problem: verdict.problem, request: describeRequest(c), answer }, answerCode(answer));
      };

      const worker = async () => {
        for (;;) {
          const i = next++;
          if (i >= indices.length) return;
          await run(generator.caseFor(indices[i]));
          if ((i + 1) % 2000 === 0) out(`fuzz: ${i + 1}/${indices.length} sent, ${tally.problemCount} problems, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      agent.destroy();
      process.off('uncaughtException', onStray);
      const seconds = (Date.now() - started) / 1000;

      await sealEverything(t.knex);
      const after = await moneySnapshot(t.knex);
      const moved = snapshotDiff(before, after);
      const verify = await fetch(`http://127.0.0.1:${port}/v1/ledger/verify`, { headers: { authorization: `Bearer ${world.keys.auditor}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as { ok?: boolean; problems?: unknown[] } }));

      const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
      out(`\nfuzz: ${tally.sent} requests in ${seconds.toFixed(1)} s (${(tally.sent / seconds).toFixed(0)}/s), seed ${SEED}, database ${t.db.mode}`);
      out(`fuzz: by kind: ${sorted(tally.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      out(`fuzz: by status: ${sorted(tally.byOutcome).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      out(`fuzz: certainly-bad requests (bad input or no valid key) ${[...tally.certainlyBad.values()].reduce((a, b) => a + b, 0)}, answered: ${sorted(tally.certainlyBad).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      out(`fuzz: requests to money routes ${tally.moneyRequests}, each with a certain violation (poison)`);
      out('fuzz: by endpoint:');
      for (const [k, n] of [...tally.byEndpoint].sort((a, b) => a[0].localeCompare(b[0]))) out(`  ${String(n).padStart(6)}  ${k}`);
      out(`fuzz: money after: ${summary(after)}`);
      out(`fuzz: GET /v1/ledger/verify after the run: ${verify.status} ok=${verify.body.ok} problems=${JSON.stringify(verify.body.problems ?? null).slice(0, 300)}`);
      out(`fuzz: money snapshot ${before.hash === after.hash ? 'identical' : 'CHANGED'} (${before.hash.slice(0, 16)} → ${after.hash.slice(0, 16)})${after.missing.length ? `; tables not found: ${after.missing.join(', ')}` : ''}`);
      if (serverErrors.size > 0) {
        out(`fuzz: ${serverErrors.size} distinct server errors logged:`);
        for (const [k, n] of sorted(serverErrors)) {
          out(`  ×${n} ${k}`);
          for (const [i, cases] of (errorContexts.get(k) ?? []).entries()) out(`    in flight at occurrence ${i + 1}:\n${cases.map((x) => `      ${x}`).join('\n')}`);
        }
      }
      if (tally.parserLevel.size > 0) {
        out('fuzz: raw bytes refused below the app with a non-contract 4xx (accepted for raw bytes; by shape):');
        for (const [k, n] of sorted(tally.parserLevel)) out(`  ×${n} ${k}`);
      }
      if (stray.length > 0) out(`fuzz: ${stray.length} uncaught errors during the run:\n${stray.slice(0, 5).join('\n')}`);
      const groups = [...tally.problems].sort((a, b) => b[1].count - a[1].count);
      if (groups.length > 0) {
        out(`fuzz: ${tally.problemCount} problems in ${groups.length} kinds (replay a case with FUZZ_SEED=${SEED} FUZZ_CASES=<case>):`);
        for (const [key, g] of groups) {
          out(`\n  ×${g.count} ${key}`);
          out(`    endpoints: ${[...g.endpoints].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
          for (const p of g.examples) out(`    case ${p.index}: ${p.problem}\n      request: ${p.request}\n      answer:  ${p.answer}`);
        }
      }

      expect(endpoints.map((e) => e.key)).toEqual(expect.arrayContaining(['POST /v1/payments', 'POST /v1/access/check']));
      expect(tally.sent).toBe(indices.length);
      expect(groups.map(([key, g]) => `×${g.count} ${key}`)).toEqual([]);
      // Bad input must not make the server log an error either (a 500 nobody saw, an audit row lost).
      expect(sorted(serverErrors).map(([k, n]) => `×${n} ${k.split('\n')[0]}`)).toEqual([]);
      expect(stray).toEqual([]);
      expect({ status: verify.status, ok: verify.body.ok, problems: verify.body.problems }).toEqual({ status: 200, ok: true, problems: [] });
      expect(moved).toEqual([]);
      expect(after.missing).toEqual([]);
    },
    NO_LIMIT,
  );
});
