import { randomBytes, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { CASH_DESK, cashWalletId } from '../../src/ledger/accounts';
import { ledgerFor } from '../../src/ledger/ledger-for';
import { checkCharacter } from '../../src/residents/id-number';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';

/**
 * Factories for residents and their cards, driven through the HTTP API, plus the
 * checks the resident and card tests share. No real person's number is ever used:
 * ID numbers are built from a region, a birth date and a sequence, with their check
 * character computed here.
 */

let serial = 0;

/** A valid 18-character ID number; every call gives a new one (birth date and sequence vary). */
export function idNumber(opts: { region?: string; birth?: string; seq?: string } = {}): string {
  serial++;
  const year = 1930 + ((serial * 7 + process.pid) % 70);
  const month = 1 + (serial % 12);
  const day = 1 + ((serial * 3) % 28);
  const birth = opts.birth ?? `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
  const seq = opts.seq ?? String(serial % 1000).padStart(3, '0');
  const first17 = `${opts.region ?? '310115'}${birth}${seq}`;
  return first17 + checkCharacter(first17);
}

/** A valid ID number whose check character is X (so lower-case x can be tried). */
export function idNumberEndingInX(): string {
  for (;;) {
    const id = idNumber();
    if (id.endsWith('X')) return id;
  }
}

/** The same number with a wrong check character. */
export function withWrongCheckDigit(id: string): string {
  return id.slice(0, 17) + (id[17] === '1' ? '2' : '1');
}

/** "YYYY-MM-DD" of the birth date an ID number encodes. */
export function birthDateIn(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

export function maskedIdNumber(id: string): string {
  return `${id.slice(0, 6)}********${id.slice(14)}`;
}

/** A mainland mobile number, new on every call. */
export function phoneNumber(): string {
  return `139${String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0')}`;
}

export interface ResidentBody {
  name: string;
  idNumber: string;
  birthDate: string;
  phone?: string;
  address: { community: string; building: string; unit?: string; room?: string };
  tags?: string[];
}

/** A complete, valid registration body with a fresh ID number and phone. */
export function residentBody(overrides: Partial<ResidentBody> = {}): ResidentBody {
  const id = overrides.idNumber ?? idNumber();
  return {
    name: '张秀英',
    idNumber: id,
    birthDate: birthDateIn(id),
    phone: phoneNumber(),
    address: { community: '金杨新村', building: '12号楼', unit: '2单元', room: '301' },
    tags: ['dibao'],
    ...overrides,
  };
}

export interface ResidentView {
  id: string;
  name: string;
  idNumberMasked: string;
  birthDate: string;
  phoneMasked: string | null;
  address: { community: string; building: string; unit?: string; room?: string };
  tags: string[];
  createdAt: string;
}

/** Registers a resident through the API; returns the answer and what was sent. */
export async function registerResident(t: TestApp, overrides: Partial<ResidentBody> = {}, key = TEST_ADMIN_KEY): Promise<ResidentView & { sent: ResidentBody }> {
  const sent = residentBody(overrides);
  const res = await t.http.post('/v1/residents').set(bearer(key)).send(sent);
  if (res.status !== 201) throw new Error(`registering a resident failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, sent };
}

/** A random card UID of 4, 7 or 10 bytes, printed as the API prints them (upper case, no separators). */
export function cardUid(bytes: 4 | 7 | 10 = 7): string {
  return randomBytes(bytes).toString('hex').toUpperCase();
}

/** "04A1B2C3" → "04:a1:b2:c3" (or another separator), to send a UID the way a reader might. */
export function separated(uid: string, sep: ':' | '-' | ' ', lower = true): string {
  const bytes = uid.match(/../g)!.join(sep);
  return lower ? bytes.toLowerCase() : bytes;
}

export interface CardView {
  id: string;
  uid: string;
  residentId: string;
  status: 'active' | 'locked' | 'replaced' | 'closed';
  lockReason: 'lost' | 'stolen' | 'suspended' | null;
  replacesCardId: string | null;
  issuedAt: string;
}

/** Issues a card through the API (a fresh UID unless one is given). */
export async function issueCard(t: TestApp, residentId: string, uid = cardUid(), key = TEST_ADMIN_KEY): Promise<CardView> {
  const res = await t.http.post('/v1/cards').set(bearer(key)).send({ residentId, uid });
  if (res.status !== 201) throw new Error(`issuing a card failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A registered resident holding a freshly issued card. */
export async function residentWithCard(t: TestApp, key = TEST_ADMIN_KEY): Promise<{ resident: ResidentView & { sent: ResidentBody }; card: CardView }> {
  const resident = await registerResident(t, {}, key);
  return { resident, card: await issueCard(t, resident.id, cardUid(), key) };
}

/** Puts cash on a resident's wallet straight through the ledger (top-ups do not exist yet): from the cash desk. */
export async function fundCash(t: TestApp, residentId: string, amount: string): Promise<void> {
  const value = new Decimal(amount);
  await t.knex.transaction((trx) =>
    ledgerFor(trx).postOne({
      id: randomUUID(),
      kind: 'test_cash_in',
      postings: [
        { accountId: CASH_DESK, amount: value.negated() },
        { accountId: cashWalletId(residentId), amount: value },
      ],
    }),
  );
}

/** The ledger balance of an account, two decimals. */
export async function ledgerBalance(t: TestApp, accountId: string): Promise<string> {
  const balances = await t.knex.transaction((trx) => ledgerFor(trx).balances([accountId]));
  return balances.get(accountId)!.toFixed(2);
}

/** A card's whole history, through the API. */
export async function historyOf(t: TestApp, cardId: string) {
  const res = await t.http.get(`/v1/cards/${cardId}/history?limit=500`).set(bearer(TEST_ADMIN_KEY));
  if (res.status !== 200) throw new Error(`reading history failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items as {
    id: string;
    action: string;
    fromStatus: string | null;
    toStatus: string;
    reason: string | null;
    relatedCardId: string | null;
    by: { apiKeyId: string; name: string };
    at: string;
  }[];
}

/**
 * Everything a resident or card request could change, read straight from the
 * database, so a refused request can be shown to have changed nothing.
 */
export async function dbState(t: TestApp) {
  const k = t.knex;
  const count = async (table: string) => Number((await k(table).count<{ n: string }[]>('* as n'))[0].n);
  return {
    residents: await k('residents')
      .orderBy('id')
      .select('id', 'name', 'id_number_hash', 'id_number_enc', 'id_number_masked', 'birth_date', 'phone_enc', 'phone_hash', 'phone', 'community', 'building', 'unit', 'room', 'tags', 'updated_at'),
    cards: await k('cards').orderBy('id').select('id', 'uid', 'resident_id', 'status', 'lock_reason', 'replaces_card_id', 'status_changed_at'),
    cardEvents: await count('card_events'),
    retiredUids: await k('retired_uids').orderBy('uid').select('uid', 'card_id', 'reason'),
    ledgerAccounts: await count('ledger_accounts'),
    ledgerTransactions: await count('ledger_transactions'),
    ledgerEntries: await count('ledger_entries'),
    idempotencyKeys: await count('idempotency_keys'),
  };
}

/** The contract's error body, and nothing else in it. */
export function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { statusCode: status, code, message: expect.any(String) } });
}

/** Starts the app listening on a free local port, so requests really run side by side. */
export async function listening(t: TestApp): Promise<TestAgent> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return request(`http://127.0.0.1:${port}`);
}
