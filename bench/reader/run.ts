import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BridgeProcess, ROOT, type BridgeEvent } from '../../card-reader/test/support/bridge';
import { startPcscd, type Pcscd } from '../../card-reader/test/support/pcscd';
import { VirtualCard } from '../../card-reader/test/support/virtual-card';
import { log } from '../common';

/**
 * bench:reader: tap-to-result at the desk. The compiled service on a fresh embedded
 * database, a pcscd of our own with the vpcd virtual reader, the bridge as a desk runs it
 * (`card-reader <mode> --json`), and a virtual MIFARE Classic put on the reader. Measured
 * per tap: from the card's connection to vpcd (the card entering the field) to the bridge
 * printing its result line, split at the moment the bridge asks the card for its UID
 * (before: pcscd noticing the card and nfc-pcsc connecting; after: the bridge, the service,
 * and for issue the writes and read-back). Needs pcscd, vsmartcard-vpcd and nfc-pcsc.
 */

const TAPS = Number(process.env.BENCH_TAPS ?? 20);
/** pcsc-lite's PCSCLITE_STATUS_POLL_RATE for readers that do not signal card events. */
const POLL_MS = 400;

interface Sample {
  total: number;
  toUid: number;
  afterUid: number;
  /** issue: from the UID asked to the next APDU, i.e. the issuing request to the service. */
  toNextApdu?: number;
}

async function main(): Promise<void> {
  const pcscd = await startPcscd();
  const service = await startService();
  const results: Record<string, Sample[]> = {};
  try {
    const admin = (path: string, body: object) => service.post(path, body, service.adminKey);
    const operator = (await admin('/v1/api-keys', { role: 'operator', name: 'bench desk' })).key as string;
    const merchantId = (await admin('/v1/merchants', { name: 'bench canteen', category: 'canteen' })).id as string;
    const till = (await admin('/v1/api-keys', { role: 'merchant', name: 'bench till', merchantId })).key as string;
    const community = `bench-${randomBytes(3).toString('hex')}`;
    const doorId = (await admin('/v1/doors', { name: 'bench gate', community })).id as string;
    const doorKey = (await admin('/v1/api-keys', { role: 'door', name: 'bench door', doorIds: [doorId] })).key as string;
    const env = (key: string) => ({ PCSCLITE_CSOCK_NAME: pcscd.socketPath, CARD_READER_API: service.url, CARD_READER_KEY: key, CARD_READER_STATE_DIR: service.dir });

    log(`issue: ${TAPS} taps, a fresh bridge each (one card per run), bridge start not counted`);
    results.issue = [];
    for (let i = 0; i < TAPS; i++) {
      const resident = await service.post('/v1/residents', residentBody(community, i), operator);
      const bridge = new BridgeProcess(['issue', '--resident', resident.id as string], env(operator));
      await bridge.event('ready');
      results.issue.push(await measuredTap(pcscd, bridge, new VirtualCard({ uid: uid() }), 'issued'));
      await bridge.exited;
    }

    log(`pay: ${TAPS} taps on one running bridge, a different card each`);
    const payCards: string[] = [];
    for (let i = 0; i < TAPS; i++) {
      const resident = await service.post('/v1/residents', residentBody(community, 100 + i), operator);
      const card = await service.post('/v1/cards', { residentId: resident.id, uid: uid() }, operator);
      await service.post('/v1/top-ups', { cardId: card.id, amount: '100.00', method: 'cash' }, operator, randomUUID());
      payCards.push(card.uid as string);
    }
    results.pay = await tapEach(pcscd, new BridgeProcess(['pay', '--amount', '12.50'], env(till)), payCards, 'payment', (e) => e.result === 'approved');

    log(`door: ${TAPS} taps on one running bridge, residents of the gate's community`);
    const doorCards: string[] = [];
    for (let i = 0; i < TAPS; i++) {
      const resident = await service.post('/v1/residents', residentBody(community, 200 + i), operator);
      doorCards.push((await service.post('/v1/cards', { residentId: resident.id, uid: uid() }, operator)).uid as string);
    }
    results.door = await tapEach(pcscd, new BridgeProcess(['door', '--door', doorId], env(doorKey)), doorCards, 'access', (e) => e.decision === 'allow' && e.source === 'service');
  } finally {
    await service.stop();
    await pcscd.dispose();
  }
  report(results);
}

async function tapEach(pcscd: Pcscd, bridge: BridgeProcess, uids: string[], event: string, ok: (e: BridgeEvent) => boolean): Promise<Sample[]> {
  try {
    await bridge.event('ready');
    const samples: Sample[] = [];
    for (const u of uids) samples.push(await measuredTap(pcscd, bridge, new VirtualCard({ uid: u }), event, ok));
    return samples;
  } finally {
    await bridge.stop();
  }
}

/**
 * One tap: connect → GET DATA → result line, in milliseconds. A person's tap falls anywhere
 * in pcscd's 400 ms polling cycle; the bench's would come right after the poll that saw
 * the last card leave, so each waits a random part of a cycle first.
 */
async function measuredTap(pcscd: Pcscd, bridge: BridgeProcess, card: VirtualCard, event: string, ok: (e: BridgeEvent) => boolean = () => true): Promise<Sample> {
  let connected = 0;
  let uidAsked = 0;
  let nextApdu = 0;
  card.once('inserted', () => (connected = performance.now()));
  card.on('apdu', (apdu: Buffer) => {
    if (!uidAsked && apdu[0] === 0xff && apdu[1] === 0xca) uidAsked = performance.now();
    else if (uidAsked && !nextApdu) nextApdu = performance.now();
  });
  await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
  const result = await bridge.tap(pcscd, card, (e) => e.event === event);
  if (!ok(result)) throw new Error(`unexpected result: ${JSON.stringify(result)}`);
  const printed = bridge.arrivals[bridge.events.indexOf(result)];
  return { total: printed - connected, toUid: uidAsked - connected, afterUid: printed - uidAsked, ...(nextApdu ? { toNextApdu: nextApdu - uidAsked } : {}) };
}

function report(results: Record<string, Sample[]>): void {
  const rows = Object.entries(results).map(([mode, samples]) => ({
    mode,
    taps: samples.length,
    median: median(samples.map((s) => s.total)),
    max: Math.max(...samples.map((s) => s.total)),
    toUidMedian: median(samples.map((s) => s.toUid)),
    afterUidMedian: median(samples.map((s) => s.afterUid)),
    afterUidMax: Math.max(...samples.map((s) => s.afterUid)),
  }));
  const ms = (n: number) => `${Math.round(n)} ms`;
  console.log(`\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
  console.log('| mode | taps | tap → result, median | max | card → UID asked, median | UID asked → result, median | max |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.mode} | ${r.taps} | ${ms(r.median)} | ${ms(r.max)} | ${ms(r.toUidMedian)} | ${ms(r.afterUidMedian)} | ${ms(r.afterUidMax)} |`);
  const issue = results.issue?.filter((s) => s.toNextApdu !== undefined) ?? [];
  if (issue.length) {
    const service = median(issue.map((s) => s.toNextApdu!));
    console.log(`\nissue, after the UID: the service ${ms(service)} (median), the card's writes and read-back ${ms(median(issue.map((s) => s.afterUid - s.toNextApdu!)))}`);
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `reader-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ node: process.version, cpus: cpus().length, rows, samples: results }, null, 1));
  log(`samples in ${file}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function uid(): string {
  return randomBytes(7).toString('hex').toUpperCase();
}

/** A valid registration; ID numbers built with their GB 11643 check character, none a real person's. */
function residentBody(community: string, n: number): object {
  const first17 = `310115${1940 + (n % 50)}0101${String(n % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  const idNumber = first17 + '10X98765432'[sum % 11];
  return { name: '张秀英', idNumber, birthDate: `${1940 + (n % 50)}-01-01`, address: { community, building: '1号楼' } };
}

/** The compiled service on a fresh embedded database in a temporary DATA_DIR. */
async function startService() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reader-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const adminKey = `bench_admin_${randomBytes(24).toString('base64url')}`;
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: join(dir, 'data'), ADMIN_API_KEY: adminKey, ID_NUMBER_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('the service was not healthy within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dir,
    adminKey,
    async post(path: string, body: object, key: string, idempotencyKey?: string): Promise<Record<string, unknown>> {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    },
    async stop(): Promise<void> {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
