import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/auth/roles';
import { bearer, TEST_ADMIN_KEY, type TestApp } from '../support/app';
import { billBody, charityProject, createBill, donate } from '../support/bills';
import { door, grant } from '../support/doors';
import { apiKey } from '../support/factories';
import { approvedPayment, holder, terminal } from '../support/money';
import { cardUid, registerResident, residentBody } from '../support/residents';
import { allowanceBody, disburseOk, program, shanghaiMonth } from '../support/subsidies';
import type { Endpoint } from './endpoints';

/**
 * The campaign's world: one real key per role and real entities (a resident with a card
 * and cash, a merchant with a terminal and a payment, a funded allowance program, a
 * bill, a charity project with a donation, a door with its controller key and a grant),
 * all made with the test factories, so fuzzed requests get past auth and reach
 * validation. Created before the ledger snapshot is taken.
 */
export interface World {
  keys: Record<Role, string>;
  /** A key that was revoked: must be refused like an unknown one. */
  revokedKey: string;
  /** Keys the campaign may revoke (DELETE /v1/api-keys/:id never gets one it needs). */
  spareKeyIds: string[];
  residentIds: string[];
  residentIdNumber: string;
  cardId: string;
  cardUid: string;
  merchantId: string;
  paymentId: string;
  programId: string;
  billId: string;
  projectId: string;
  donationId: string;
  doorId: string;
  grantId: string;
  stationId: string;
  /** Real nextCursor values, by endpoint key, to mutate. */
  cursors: Record<string, string>;
}

export async function buildWorld(t: TestApp): Promise<World> {
  const admin = bearer(TEST_ADMIN_KEY);
  const operator = await apiKey(t, 'operator');
  const auditor = await apiKey(t, 'auditor');
  const till = await terminal(t, 'canteen');

  // A resident with an active card and cash, who paid at the canteen and donated.
  const sent = residentBody();
  const first = await holder(t, '300.00');
  const rich = await registerResident(t, { idNumber: sent.idNumber, birthDate: sent.birthDate });
  const spare = await registerResident(t);
  const payment = await approvedPayment(t.http, till.key, first.card.uid, '12.50');
  await approvedPayment(t.http, till.key, first.card.uid, '3.00');

  const p = await program(t, allowanceBody({ name: `fuzz allowance ${randomUUID().slice(0, 8)}` }), '100000.00');
  await disburseOk(t.http, p.id, shanghaiMonth());

  const bill = await createBill(t, first.residentId);
  await createBill(t, first.residentId, billBody(first.residentId, { payee: 'gas' }));
  const project = await charityProject(t, { goal: '5000.00' });
  const gift = await donate(t.http, { cardId: first.card.id, projectId: project.id, amount: '5.00' });
  if (gift.status !== 201) throw new Error(`donating failed: ${gift.status} ${JSON.stringify(gift.body)}`);
  await donate(t.http, { cardId: first.card.id, projectId: project.id, amount: '1.00' });

  const gate = await door(t, '金杨新村');
  await door(t, '金杨新村', '12号楼'); // a second door, so the door list has a next page (and a cursor to mutate)
  const g = await grant(t, gate.id, spare.id, { validFrom: '2026-01-01', validUntil: '2099-12-31', hours: { from: '22:00', to: '06:00' } });
  await grant(t, gate.id, rich.id);
  const controller = await apiKey(t, 'door', { doorIds: [gate.id] });
  for (const uid of [first.card.uid, cardUid()]) {
    const res = await t.http.post('/v1/access/check').set(bearer(controller.key)).send({ doorId: gate.id, uid });
    if (res.status !== 200) throw new Error(`door check failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await t.http.get(`/v1/doors/${gate.id}/allowlist`).set(bearer(controller.key));

  const revoked = await apiKey(t, 'operator');
  const del = await t.http.delete(`/v1/api-keys/${revoked.id}`).set(admin);
  if (del.status !== 204) throw new Error(`revoking failed: ${del.status}`);
  const spares = [await apiKey(t, 'auditor'), await apiKey(t, 'auditor'), await apiKey(t, 'operator')];

  return {
    keys: { admin: TEST_ADMIN_KEY, operator: operator.key, auditor: auditor.key, merchant: till.key, door: controller.key },
    revokedKey: revoked.key,
    spareKeyIds: spares.map((k) => k.id),
    residentIds: [first.residentId, rich.id, spare.id],
    residentIdNumber: sent.idNumber,
    cardId: first.card.id,
    cardUid: first.card.uid,
    merchantId: till.merchant.id,
    paymentId: payment.id,
    programId: p.id,
    billId: bill.id,
    projectId: project.id,
    donationId: gift.body.id,
    doorId: gate.id,
    grantId: g.id,
    stationId: 'S1',
    cursors: {},
  };
}

/** The real id a path parameter stands for, by the path segment before it. */
export function realParam(world: World, path: string, param: string): string {
  const segments = path.split('/');
  const at = segments.indexOf(`:${param}`);
  const before = at > 0 ? segments[at - 1] : '';
  switch (before) {
    case 'api-keys':
      return world.spareKeyIds[0];
    case 'residents':
      return world.residentIds[0];
    case 'cards':
      return world.cardId;
    case 'merchants':
      return world.merchantId;
    case 'payments':
      return world.paymentId;
    case 'subsidy-programs':
      return world.programId;
    case 'bills':
      return world.billId;
    case 'charity-projects':
      return world.projectId;
    case 'donations':
      return world.donationId;
    case 'doors':
      return world.doorId;
    case 'grants':
      return world.grantId;
    case 'stations':
      return world.stationId;
    default:
      return world.residentIds[0];
  }
}

/** Whether a path parameter is a UUID (every id but a station's name). */
export const isUuidParam = (path: string, param: string) => realParamKind(path, param) === 'uuid';
export function realParamKind(path: string, param: string): 'uuid' | 'station' {
  const segments = path.split('/');
  const at = segments.indexOf(`:${param}`);
  return at > 0 && segments[at - 1] === 'stations' ? 'station' : 'uuid';
}

/** Fills every path parameter with its real id. */
export function realPath(world: World, endpoint: Endpoint): string {
  return endpoint.path.replace(/:([A-Za-z0-9_]+)/g, (_, p: string) => realParam(world, endpoint.path, p));
}

/** A key allowed on the endpoint (scoped keys match the world's merchant and door). */
export function keysFor(world: World, endpoint: Endpoint): Role[] {
  return [...(endpoint.roles ?? (Object.keys(world.keys) as Role[]))];
}

/**
 * Captures a real nextCursor from every list endpoint that takes one, asking for one
 * item per page, so cursor mutations start from what the service itself writes.
 */
export async function collectCursors(t: TestApp, world: World, endpoints: Endpoint[]): Promise<void> {
  for (const e of endpoints) {
    if (e.method !== 'GET' || !e.query.includes('cursor')) continue;
    const role = keysFor(world, e)[0];
    const res = await t.http.get(`${realPath(world, e)}?limit=1`).set(bearer(world.keys[role]));
    const next = (res.body as { nextCursor?: unknown } | undefined)?.nextCursor;
    if (res.status === 200 && typeof next === 'string') world.cursors[e.key] = next;
  }
}
