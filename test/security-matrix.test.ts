import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ROLES, type Role } from '../src/auth/roles';
import { bearer, startTestApp, TEST_ADMIN_KEY, type TestApp } from './support/app';
import { billBody, charityProject, createBill, reference } from './support/bills';
import { community, door, grant, lockCard } from './support/doors';
import { apiKey } from './support/factories';
import { approvedPayment, terminal, type Holder, type Terminal } from './support/money';
import { cardUid, issueCard, listening, phoneNumber, registerResident, residentBody, residentWithCard } from './support/residents';
import { fastifyRoutes, servedRoutes, type ServedRoute } from './support/routes';
import { allowanceBody, program, shanghaiMonth, slug } from './support/subsidies';

/**
 * The security matrix: every route the service serves (Nest's routes and the fast
 * lane's) called by every kind of caller, each pair its own test case, against what
 * the contract (../shared/docs/api.md, Conventions → Auth) says it must answer:
 *
 * - no key, an unknown key, a revoked key: 401 on every route that is not public;
 * - a key whose role the route does not list: 403;
 * - a listed role: the route's success status, on real entities and a valid body;
 * - a merchant key on another merchant's resources, a door key on a door it does not
 *   hold: 403 (api.md: "A key whose role or scope does not allow the call: 403").
 *
 * MATRIX below is the table: per route its role list, its scope, the status a listed
 * role gets and a fixture (real entities through the API, a valid body, an
 * Idempotency-Key where money moves). The expectation of each caller follows from the
 * row (expected()); a caller that cannot get the row's status says why in `except`, and
 * a divergence from the contract is listed in `bugs` and runs as test.failing.
 *
 * The rows are checked against the route table read from the running app
 * (test/support/routes.ts): a route the app serves without a row fails the test naming
 * it, a row whose role list is not the app's fails, a route without roles fails, and
 * so does a route registered on Fastify directly (outside Nest's guard and the lane).
 * Then: the scoped routes with ids in upper case, and HEAD (which Fastify adds to
 * every GET) for the callers the guard refuses.
 */

// --- callers -----------------------------------------------------------------

const CALLERS = ['none', 'wrongKey', 'revokedKey', 'admin', 'operator', 'merchant', 'merchantOfAnother', 'door', 'doorOfAnother', 'auditor'] as const;
type Caller = (typeof CALLERS)[number];

const CALLER_LABEL: Record<Caller, string> = {
  none: 'no Authorization header',
  wrongKey: 'a well-formed unknown key',
  revokedKey: 'a revoked admin key',
  admin: 'admin',
  operator: 'operator',
  merchant: 'merchant (its own merchant)',
  merchantOfAnother: 'merchant of another merchant',
  door: 'door (its own door)',
  doorOfAnother: 'door of another door',
  auditor: 'auditor',
};

/** The role a caller's key has; undefined for the callers without a working key. */
const ROLE_OF: Record<Caller, Role | undefined> = {
  none: undefined,
  wrongKey: undefined,
  revokedKey: undefined,
  admin: 'admin',
  operator: 'operator',
  merchant: 'merchant',
  merchantOfAnother: 'merchant',
  door: 'door',
  doorOfAnother: 'door',
  auditor: 'auditor',
};

// --- the shared fixtures, built once -----------------------------------------------

interface Fixtures {
  t: TestApp;
  /** Base URL of the listening app (for the event stream, read with fetch). */
  base: string;
  keys: Record<Caller, string | undefined>;
  /** Merchant A, whose terminal key is the `merchant` caller; merchant B is the other one's. */
  merchantA: Terminal;
  merchantB: Terminal;
  /** Door A (a gate of `communityA`), held by the `door` caller's key; door B by the other one's. */
  doorA: { id: string };
  doorB: { id: string };
  communityA: string;
  /** A resident of communityA with an active card and 100.00 cash. */
  payer: Holder;
  payerIdNumber: string;
  /** An approved payment of 50.00 taken by merchant A from the payer. */
  paymentA: { id: string };
  /** A funded allowance program. */
  program: { id: string };
  bill: { id: string };
  project: { id: string };
  donation: { id: string };
  /** A live grant on door A, so that its grant list is not empty. */
  grantOnA: { id: string };
  station: string;
}

/** What one case sends. `idempotent`: a fresh Idempotency-Key goes with it (every call that moves money). */
interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: object;
  csv?: string;
  idempotent?: boolean;
  /** A server-sent event stream: read the status and headers, then hang up. */
  stream?: boolean;
}

interface Row {
  /** The roles the route lets in, as its @Roles (or the lane route's `roles`) must say; 'public' for @Public. */
  roles: readonly Role[] | 'public';
  /** The roles api.md names for the route, where it names them. */
  contract?: readonly Role[];
  /** Why the app lets in roles beyond `contract` (a row that does without naming why fails). */
  beyondContract?: string;
  /** The route acts on one merchant's (one door's) resources: a key of another merchant (door) gets 403. */
  scope?: 'merchant' | 'door';
  /** What a listed role gets. */
  ok: number;
  /**
   * The request a caller sends, built before the cases run. Routes that change state get
   * an entity of their own for every caller, so that no case depends on another's outcome.
   */
  call(fx: Fixtures, caller: Caller): Promise<Call> | Call;
  /** Callers that get something other than the rules above, with the reason (contract status asserted). */
  except?: Partial<Record<Caller, { status: number; why: string }>>;
  /** BUG: the app answers differently from the contract for these callers; run as test.failing. */
  bugs?: Partial<Record<Caller, string>>;
}

// Small factories for rows that need an entity of their own per caller.
const freshResident = async (fx: Fixtures) => (await registerResident(fx.t)).id;
const freshCard = async (fx: Fixtures) => (await residentWithCard(fx.t)).card;

// --- the matrix ----------------------------------------------------------------

/**
 * What Fastify serves outside Nest's controllers and the lane, public by design: the
 * OpenAPI UI and document (api.md: GET /docs, GET /docs-json) and the desk console's
 * static files (README: the page needs no key; its API calls are guarded).
 */
const NOT_API = [/^GET \/docs(\/.*|-json|-yaml)?$/, /^GET \/desk(\/.*|\*)?$/];

const MATRIX: Record<string, Row> = {
  // ops and the door-list key: public
  'GET /health': { roles: 'public', ok: 200, call: () => ({ method: 'GET', path: '/health' }) },
  'GET /metrics': { roles: 'public', ok: 200, call: () => ({ method: 'GET', path: '/metrics' }) },
  'GET /v1/access/public-key': { roles: 'public', ok: 200, call: () => ({ method: 'GET', path: '/v1/access/public-key' }) },

  // keys
  'POST /v1/api-keys': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/api-keys', body: { role: 'auditor', name: 'made by the security matrix' } }),
  },
  'DELETE /v1/api-keys/:id': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 204,
    call: async (fx) => ({ method: 'DELETE', path: `/v1/api-keys/${(await apiKey(fx.t, 'auditor')).id}` }),
  },

  // residents
  'POST /v1/residents': {
    roles: ['admin', 'operator'],
    contract: ['admin', 'operator'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/residents', body: residentBody() }),
  },
  'POST /v1/residents/lookup': {
    roles: ['admin', 'operator'],
    contract: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'POST', path: '/v1/residents/lookup', body: { idNumber: fx.payerIdNumber } }),
  },
  'GET /v1/residents/:id': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/residents/${fx.payer.residentId}` }),
  },
  'PATCH /v1/residents/:id': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: async (fx) => ({ method: 'PATCH', path: `/v1/residents/${await freshResident(fx)}`, body: { phone: phoneNumber() } }),
  },
  'GET /v1/residents/:id/cards': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/residents/${fx.payer.residentId}/cards` }),
  },
  'GET /v1/residents/:id/bills': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/residents/${fx.payer.residentId}/bills`, query: { status: 'unpaid' } }),
  },
  'GET /v1/residents/:id/donations': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/residents/${fx.payer.residentId}/donations` }),
  },

  // cards
  'POST /v1/cards': {
    roles: ['admin', 'operator'],
    contract: ['admin', 'operator'],
    ok: 201,
    call: async (fx) => ({ method: 'POST', path: '/v1/cards', body: { residentId: await freshResident(fx), uid: cardUid() } }),
  },
  'GET /v1/cards': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: '/v1/cards', query: { uid: fx.payer.card.uid } }),
  },
  'GET /v1/cards/:id': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/cards/${fx.payer.card.id}` }),
  },
  'POST /v1/cards/:id/lock': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: async (fx) => ({ method: 'POST', path: `/v1/cards/${(await freshCard(fx)).id}/lock`, body: { reason: 'lost' } }),
  },
  'POST /v1/cards/:id/unlock': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: async (fx) => {
      const card = await freshCard(fx);
      await lockCard(fx.t, card.id, 'lost');
      return { method: 'POST', path: `/v1/cards/${card.id}/unlock` };
    },
  },
  'POST /v1/cards/:id/replace': {
    roles: ['admin', 'operator'],
    ok: 201,
    call: async (fx) => ({ method: 'POST', path: `/v1/cards/${(await freshCard(fx)).id}/replace`, body: { uid: cardUid(), reason: 'damaged' } }),
  },
  'POST /v1/cards/:id/close': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: async (fx) => ({ method: 'POST', path: `/v1/cards/${(await freshCard(fx)).id}/close`, idempotent: true }),
  },
  'GET /v1/cards/:id/history': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/cards/${fx.payer.card.id}/history` }),
  },
  'GET /v1/cards/:id/balance': {
    roles: ['admin', 'operator'],
    contract: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/cards/${fx.payer.card.id}/balance` }),
  },
  'GET /v1/cards/:id/transactions': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/cards/${fx.payer.card.id}/transactions` }),
  },

  // merchants and money
  'POST /v1/merchants': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/merchants', body: { name: `商户 ${randomUUID().slice(0, 8)}`, category: 'grocery' } }),
  },
  'GET /v1/merchants/:id': {
    roles: ['admin', 'auditor', 'operator', 'merchant'],
    scope: 'merchant',
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${fx.merchantA.merchant.id}` }),
  },
  'GET /v1/merchants/:id/payments': {
    roles: ['merchant', 'admin', 'auditor'],
    scope: 'merchant',
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${fx.merchantA.merchant.id}/payments` }),
  },
  'POST /v1/top-ups': {
    roles: ['operator', 'admin'],
    contract: ['operator'],
    beyondContract: 'api.md names only the desk (operator); the app lets admins top up too, and the money tests rely on it (test/support/money.ts topUp)',
    ok: 201,
    call: (fx) => ({ method: 'POST', path: '/v1/top-ups', body: { cardId: fx.payer.card.id, amount: '1.00', method: 'cash' }, idempotent: true }),
  },
  // The fast lane (src/payments/pay-route.ts). A terminal of any merchant charges for its
  // own merchant: the key names the merchant, so another merchant's terminal gets 201 too.
  'POST /v1/payments': {
    roles: ['merchant'],
    contract: ['merchant'],
    ok: 201,
    call: (fx) => ({ method: 'POST', path: '/v1/payments', body: { uid: fx.payer.card.uid, amount: '1.00', description: '午餐' }, idempotent: true }),
  },
  'GET /v1/payments/:id': {
    roles: ['merchant', 'admin', 'auditor'],
    contract: ['merchant', 'admin', 'auditor'],
    scope: 'merchant',
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/payments/${fx.paymentA.id}` }),
  },
  'POST /v1/payments/:id/refunds': {
    roles: ['merchant', 'admin'],
    contract: ['merchant', 'admin'],
    scope: 'merchant',
    ok: 201,
    call: (fx) => ({ method: 'POST', path: `/v1/payments/${fx.paymentA.id}/refunds`, body: { amount: '0.01' }, idempotent: true }),
  },

  // subsidies
  'POST /v1/subsidy-programs': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/subsidy-programs', body: allowanceBody({ merchantCategories: [slug('c')], eligibility: { tags: [slug('t')] } }) }),
  },
  'GET /v1/subsidy-programs/:id': {
    roles: ['admin', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/subsidy-programs/${fx.program.id}` }),
  },
  'POST /v1/subsidy-programs/:id/funding': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: (fx) => ({ method: 'POST', path: `/v1/subsidy-programs/${fx.program.id}/funding`, body: { amount: '1.00' }, idempotent: true }),
  },
  // Once per program and period: a program of its own for every caller.
  'POST /v1/subsidy-programs/:id/disbursements': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: async (fx) => {
      const p = await program(fx.t, allowanceBody({ merchantCategories: [slug('c')], eligibility: { tags: [slug('t')] } }), '100.00');
      return { method: 'POST', path: `/v1/subsidy-programs/${p.id}/disbursements`, body: { period: shanghaiMonth() }, idempotent: true };
    },
  },
  'POST /v1/subsidy-programs/:id/sweeps': {
    roles: ['admin'],
    ok: 201,
    call: (fx) => ({ method: 'POST', path: `/v1/subsidy-programs/${fx.program.id}/sweeps` }),
  },

  // bills and donations
  'POST /v1/bills': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: (fx) => ({ method: 'POST', path: '/v1/bills', body: billBody(fx.payer.residentId, { amount: '1.00' }) }),
  },
  'POST /v1/bills/import': {
    roles: ['admin'],
    ok: 201,
    call: (fx) => ({
      method: 'POST',
      path: '/v1/bills/import',
      csv: `residentId,payee,amount,dueDate,reference\n${fx.payer.residentId},gas,1.00,2099-12-15,${reference('G')}\n`,
    }),
  },
  'GET /v1/bills/:id': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/bills/${fx.bill.id}` }),
  },
  // A bill is paid at most once: a bill of its own for every caller.
  'POST /v1/bills/:id/payments': {
    roles: ['operator', 'admin'],
    contract: ['operator'],
    beyondContract: 'api.md names only the desk (operator); the app lets admins pay bills too',
    ok: 201,
    call: async (fx) => {
      const bill = await createBill(fx.t, fx.payer.residentId, { amount: '1.00' });
      return { method: 'POST', path: `/v1/bills/${bill.id}/payments`, body: { cardId: fx.payer.card.id }, idempotent: true };
    },
  },
  'POST /v1/charity-projects': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/charity-projects', body: { name: `社区助老基金 ${randomUUID().slice(0, 8)}` } }),
  },
  'GET /v1/charity-projects': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/charity-projects' }),
  },
  'GET /v1/charity-projects/:id': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/charity-projects/${fx.project.id}` }),
  },
  'POST /v1/donations': {
    roles: ['operator', 'admin'],
    contract: ['operator'],
    beyondContract: 'api.md names only the desk (operator); the app lets admins take donations too',
    ok: 201,
    call: (fx) => ({ method: 'POST', path: '/v1/donations', body: { cardId: fx.payer.card.id, projectId: fx.project.id, amount: '1.00' }, idempotent: true }),
  },
  'GET /v1/donations/:id': {
    roles: ['admin', 'operator', 'auditor'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/donations/${fx.donation.id}` }),
  },
  'GET /v1/donations/:id/receipt': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/donations/${fx.donation.id}/receipt` }),
  },

  // doors
  'POST /v1/doors': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 201,
    call: () => ({ method: 'POST', path: '/v1/doors', body: { name: 'matrix gate', community: community('矩阵') } }),
  },
  'GET /v1/doors': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/doors' }),
  },
  'GET /v1/doors/:id': {
    roles: ['admin', 'operator', 'door'],
    scope: 'door',
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${fx.doorA.id}` }),
  },
  'POST /v1/doors/:id/grants': {
    roles: ['admin', 'operator'],
    contract: ['admin', 'operator'],
    ok: 201,
    call: (fx) => ({ method: 'POST', path: `/v1/doors/${fx.doorA.id}/grants`, body: { residentId: fx.payer.residentId, hours: { from: '22:00', to: '06:00' } } }),
  },
  'GET /v1/doors/:id/grants': {
    roles: ['admin', 'operator'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${fx.doorA.id}/grants` }),
  },
  // A grant is revoked once: a grant of its own for every caller.
  'DELETE /v1/doors/:id/grants/:grantId': {
    roles: ['admin', 'operator'],
    ok: 204,
    call: async (fx) => ({ method: 'DELETE', path: `/v1/doors/${fx.doorA.id}/grants/${(await grant(fx.t, fx.doorA.id, fx.payer.residentId)).id}` }),
  },
  'GET /v1/doors/:id/events': {
    roles: ['admin'],
    contract: ['admin'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${fx.doorA.id}/events` }),
  },
  'GET /v1/doors/:id/allowlist': {
    roles: ['door', 'admin'],
    contract: ['door'],
    beyondContract: "api.md names the door's controller; the app lets admins read any door's signed list too",
    scope: 'door',
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${fx.doorA.id}/allowlist` }),
  },
  // The fast lane (src/access/check-route.ts).
  'POST /v1/access/check': {
    roles: ['door'],
    contract: ['door'],
    scope: 'door',
    ok: 200,
    call: (fx) => ({ method: 'POST', path: '/v1/access/check', body: { doorId: fx.doorA.id, uid: fx.payer.card.uid } }),
  },

  // the desk console and its stations
  'POST /v1/stations/:id/taps': {
    roles: ['operator', 'admin'],
    ok: 202,
    call: (fx) => ({ method: 'POST', path: `/v1/stations/${fx.station}/taps`, body: { uid: cardUid() } }),
  },
  'GET /v1/stations/:id/events': {
    roles: ['operator', 'admin'],
    ok: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/stations/${fx.station}/events`, stream: true }),
  },
  'GET /v1/desk/me': {
    roles: ['operator', 'admin'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/desk/me' }),
  },
  'POST /v1/desk/residents/search': {
    roles: ['operator', 'admin'],
    ok: 200,
    call: () => ({ method: 'POST', path: '/v1/desk/residents/search', body: { name: '张' } }),
  },

  // audit
  'GET /v1/ledger/verify': {
    roles: ['auditor', 'admin'],
    contract: ['auditor', 'admin'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/ledger/verify' }),
  },
  'GET /v1/ledger/transactions': {
    roles: ['auditor', 'admin'],
    contract: ['auditor', 'admin'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/ledger/transactions' }),
  },
  // The audit trail of staff actions (src/audit/).
  'GET /v1/audit/events': {
    roles: ['auditor', 'admin'],
    ok: 200,
    call: () => ({ method: 'GET', path: '/v1/audit/events', query: { action: 'POST /v1/cards/:id/lock' } }),
  },
};

// --- what each caller must get -------------------------------------------------------

interface Expected {
  status: number;
  why: string;
  bug?: string;
}

const SCOPE_NOUN = { merchant: "another merchant's resource", door: 'a door its key does not hold' };

function expected(row: Row, caller: Caller): Expected {
  const bug = row.bugs?.[caller];
  const special = row.except?.[caller];
  if (special) return { ...special, bug };
  if (row.roles === 'public') return { status: row.ok, why: 'public', bug };
  const role = ROLE_OF[caller];
  if (!role) return { status: 401, why: 'no working key', bug };
  if (!row.roles.includes(role)) return { status: 403, why: `role ${role} not listed`, bug };
  if (row.scope && role === row.scope && (caller === 'merchantOfAnother' || caller === 'doorOfAnother')) return { status: 403, why: SCOPE_NOUN[row.scope], bug };
  return { status: row.ok, why: 'listed role', bug };
}

interface Case {
  name: string;
  route: string;
  caller: Caller;
  status: number;
  bug?: string;
}

const CASES = Object.entries(MATRIX).flatMap(([route, row]) =>
  CALLERS.map((caller) => {
    const e = expected(row, caller);
    return { name: `${route} as ${CALLER_LABEL[caller]} → ${e.status} (${e.why})`, route, caller, status: e.status, bug: e.bug };
  }),
);
const PASSING: Case[] = CASES.filter((c) => !c.bug);
const FAILING: Case[] = CASES.filter((c) => c.bug);

/**
 * Fastify answers HEAD on every GET route with the same handler, behind the same guard.
 * The callers the guard itself refuses (no working key, a role not listed) must be
 * refused on HEAD as well. (Callers the guard lets through are not sent: a HEAD runs
 * the handler, and the scope checks inside it, like the GET.)
 */
const HEAD_CASES: Case[] = CASES.filter((c) => c.route.startsWith('GET ') && !c.bug && MATRIX[c.route].roles !== 'public')
  .filter((c) => c.status === 401 || (c.status === 403 && !(MATRIX[c.route].roles as readonly Role[]).includes(ROLE_OF[c.caller]!)))
  .map((c) => ({ ...c, name: `HEAD${c.name.slice(3)}` }));

// --- sending -------------------------------------------------------------------

/** The path of a route pattern with its parameters filled in, as a check on the table. */
const patternOf = (route: string) => new RegExp(`^${route.replace(/:[A-Za-z]+/g, '[^/]+')}$`);

interface Answer {
  status: number;
  body: unknown;
  contentType: string | undefined;
}

async function send(fx: Fixtures, call: Call, key: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = { ...(key ? bearer(key) : {}), ...(call.idempotent ? { 'Idempotency-Key': `matrix-${randomUUID()}` } : {}) };
  if (call.stream) {
    // An event stream never ends by itself: take the status and the headers, then hang up.
    const controller = new AbortController();
    try {
      const res = await fetch(fx.base + call.path, { headers, signal: controller.signal });
      const contentType = res.headers.get('content-type') ?? undefined;
      const body = res.status === 200 ? undefined : await res.json();
      return { status: res.status, body, contentType };
    } finally {
      controller.abort();
    }
  }
  const req = fx.t.http[call.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](call.path).set(headers);
  if (call.query) req.query(call.query);
  const res = await (call.csv !== undefined ? req.set('Content-Type', 'text/csv').send(call.csv) : call.body !== undefined ? req.send(call.body) : req);
  return { status: res.status, body: res.body, contentType: res.headers['content-type'] };
}

// --- the run -------------------------------------------------------------------

let fx: Fixtures;
let served: ServedRoute[];
/** Every case's request, built in beforeAll; or why it could not be built. */
const calls = new Map<string, Call | Error>();
const caseKey = (route: string, caller: Caller) => `${route} | ${caller}`;

beforeAll(async () => {
  const t = await startTestApp();
  await listening(t);
  const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  served = servedRoutes(t.app);

  const merchantA = await terminal(t);
  const merchantB = await terminal(t);
  const communityA = community('矩阵');
  const doorA = await door(t, communityA);
  const doorB = await door(t, community('矩阵'));
  const operator = await apiKey(t, 'operator');
  const auditor = await apiKey(t, 'auditor');
  const doorKeyA = await apiKey(t, 'door', { doorIds: [doorA.id] });
  const doorKeyB = await apiKey(t, 'door', { doorIds: [doorB.id] });

  // The revoked key worked once (so it sits in the key cache) before it was revoked.
  const revoked = await apiKey(t, 'admin');
  const before = await t.http.get('/v1/desk/me').set(bearer(revoked.key));
  if (before.status !== 200) throw new Error(`the key to revoke did not work before: ${before.status}`);
  const revoking = await t.http.delete(`/v1/api-keys/${revoked.id}`).set(bearer(TEST_ADMIN_KEY));
  if (revoking.status !== 204) throw new Error(`revoking a key failed: ${revoking.status} ${JSON.stringify(revoking.body)}`);

  const sent = residentBody({ address: { community: communityA, building: '1号楼', room: '101' } });
  const resident = await registerResident(t, sent);
  const card = await issueCard(t, resident.id);
  const topUp = await t.http.post('/v1/top-ups').set(bearer(TEST_ADMIN_KEY)).set('Idempotency-Key', randomUUID()).send({ cardId: card.id, amount: '100.00', method: 'cash' });
  if (topUp.status !== 201) throw new Error(`topping up failed: ${topUp.status} ${JSON.stringify(topUp.body)}`);
  const payer: Holder = { residentId: resident.id, card };
  const paymentA = await approvedPayment(t.http, merchantA.key, card.uid, '50.00');

  const p = await program(t, allowanceBody({ merchantCategories: [slug('c')], eligibility: { tags: [slug('t')] } }), '100.00');
  const bill = await createBill(t, resident.id, { amount: '1.00' });
  const project = await charityProject(t);
  const donated = await t.http
    .post('/v1/donations')
    .set(bearer(TEST_ADMIN_KEY))
    .set('Idempotency-Key', randomUUID())
    .send({ cardId: card.id, projectId: project.id, amount: '1.00' });
  if (donated.status !== 201) throw new Error(`donating failed: ${donated.status} ${JSON.stringify(donated.body)}`);
  const grantOnA = await grant(t, doorA.id, resident.id);

  fx = {
    t,
    base,
    keys: {
      none: undefined,
      wrongKey: `cck_${randomBytes(24).toString('hex')}`,
      revokedKey: revoked.key,
      admin: TEST_ADMIN_KEY,
      operator: operator.key,
      merchant: merchantA.key,
      merchantOfAnother: merchantB.key,
      door: doorKeyA.key,
      doorOfAnother: doorKeyB.key,
      auditor: auditor.key,
    },
    merchantA,
    merchantB,
    doorA,
    doorB,
    communityA,
    payer,
    payerIdNumber: sent.idNumber,
    paymentA,
    program: p,
    bill,
    project,
    donation: donated.body,
    grantOnA,
    station: `matrix-${randomBytes(3).toString('hex')}`,
  };

  for (const [route, row] of Object.entries(MATRIX)) {
    for (const caller of CALLERS) {
      try {
        calls.set(caseKey(route, caller), await row.call(fx, caller));
      } catch (err) {
        calls.set(caseKey(route, caller), err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
});

afterAll(async () => {
  await fx?.t.close();
});

async function runCase({ route, caller, status }: Case): Promise<void> {
  const call = calls.get(caseKey(route, caller));
  if (call === undefined) throw new Error(`no request was built for ${route} as ${caller}`);
  if (call instanceof Error) throw new Error(`building the fixture for ${route} as ${caller} failed: ${call.message}`);
  // The row's request must be the route it is filed under.
  expect(`${call.method} ${call.path}`).toMatch(patternOf(route));
  await expectAnswer(call, caller, status);
}

async function expectAnswer(call: Call, caller: Caller, status: number): Promise<void> {
  const res = await send(fx, call, fx.keys[caller]);
  // One assertion on the whole answer, so a failure shows status and body together.
  if (status === 401 || status === 403) {
    const code = status === 401 ? 'unauthorized' : 'forbidden';
    expect({ status: res.status, body: res.body }).toEqual({ status, body: { statusCode: status, code, message: expect.any(String) } });
  } else {
    expect({ status: res.status, body: res.status === status ? 'as expected' : res.body }).toEqual({ status, body: 'as expected' });
    if (call.stream) expect(res.contentType).toMatch(/^text\/event-stream/);
  }
}

/**
 * The scoped routes again, with the id in the path spelled in upper case: the same
 * merchant, the same door (a UUID is case-insensitive, and the service finds the row
 * either way: an admin gets 200). A key's own resource must stay open to it, another's
 * must stay closed.
 */
interface SpellingCase {
  name: string;
  caller: Caller;
  status: number;
  call(fx: Fixtures): Call;
  bug?: string;
}
const UP = (id: string) => id.toUpperCase();
const ID_SPELLING: SpellingCase[] = [
  {
    name: 'GET /v1/merchants/:id with the id in upper case, as merchant (its own merchant) → 200',
    caller: 'merchant',
    status: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${UP(fx.merchantA.merchant.id)}` }),
  },
  {
    name: 'GET /v1/merchants/:id/payments with the id in upper case, as merchant (its own merchant) → 200',
    caller: 'merchant',
    status: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${UP(fx.merchantA.merchant.id)}/payments` }),
  },
  {
    name: 'GET /v1/merchants/:id with the id in upper case, as admin → 200',
    caller: 'admin',
    status: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${UP(fx.merchantA.merchant.id)}` }),
  },
  {
    name: 'GET /v1/merchants/:id with the id in upper case, as merchant of another merchant → 403',
    caller: 'merchantOfAnother',
    status: 403,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${UP(fx.merchantA.merchant.id)}` }),
  },
  {
    name: 'GET /v1/merchants/:id/payments with the id in upper case, as merchant of another merchant → 403',
    caller: 'merchantOfAnother',
    status: 403,
    call: (fx) => ({ method: 'GET', path: `/v1/merchants/${UP(fx.merchantA.merchant.id)}/payments` }),
  },
  {
    name: 'GET /v1/doors/:id with the id in upper case, as door (its own door) → 200',
    caller: 'door',
    status: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${UP(fx.doorA.id)}` }),
  },
  {
    name: 'GET /v1/doors/:id with the id in upper case, as door of another door → 403',
    caller: 'doorOfAnother',
    status: 403,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${UP(fx.doorA.id)}` }),
  },
  {
    name: 'GET /v1/doors/:id/allowlist with the id in upper case, as door (its own door) → 200',
    caller: 'door',
    status: 200,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${UP(fx.doorA.id)}/allowlist` }),
  },
  {
    name: 'GET /v1/doors/:id/allowlist with the id in upper case, as door of another door → 403',
    caller: 'doorOfAnother',
    status: 403,
    call: (fx) => ({ method: 'GET', path: `/v1/doors/${UP(fx.doorA.id)}/allowlist` }),
  },
  {
    name: 'POST /v1/access/check with doorId in upper case, as door (its own door) → 200',
    caller: 'door',
    status: 200,
    call: (fx) => ({ method: 'POST', path: '/v1/access/check', body: { doorId: UP(fx.doorA.id), uid: fx.payer.card.uid } }),
  },
  {
    name: 'POST /v1/access/check with doorId in upper case, as door of another door → 403',
    caller: 'doorOfAnother',
    status: 403,
    call: (fx) => ({ method: 'POST', path: '/v1/access/check', body: { doorId: UP(fx.doorA.id), uid: fx.payer.card.uid } }),
  },
];

describe('the matrix covers the route table', () => {
  test('the app serves the lane routes too (the walk is not only Nest)', () => {
    expect(served.filter((r) => r.served === 'lane').map((r) => r.key)).toEqual(expect.arrayContaining(['POST /v1/access/check', 'POST /v1/payments']));
  });

  test('every route the app serves has a row in the matrix', () => {
    const missing = served
      .filter((r) => !(r.key in MATRIX))
      .map((r) => `${r.key} (${r.name}; ${r.isPublic ? 'public' : `roles: ${r.roles?.join(', ') || 'none'}`}) has no row in MATRIX: add one with its fixture`);
    expect(missing).toEqual([]);
  });

  test('every served route that is not public lists at least one known role', () => {
    const unguarded = served
      .filter((r) => !r.isPublic && !(r.roles && r.roles.length > 0 && r.roles.every((role) => ROLES.includes(role))))
      .map((r) => `${r.key} (${r.name}): roles ${JSON.stringify(r.roles ?? null)}`);
    expect(unguarded).toEqual([]);
  });

  test('Fastify serves no route of its own beyond them, except the OpenAPI UI and the desk console files', () => {
    const known = new Set(served.map((r) => r.key));
    const outside = fastifyRoutes(fx.t.app)
      .map((r) => `${r.method} ${r.path}`)
      .filter((key) => !known.has(key) && !NOT_API.some((re) => re.test(key)));
    expect(outside).toEqual([]);
  });

  test('every row of the matrix is a route the app serves', () => {
    const keys = new Set(served.map((r) => r.key));
    expect(Object.keys(MATRIX).filter((k) => !keys.has(k))).toEqual([]);
  });

  test.each(Object.keys(MATRIX))("%s: the app's role list is the matrix's", (route) => {
    const r = served.find((s) => s.key === route);
    if (!r) throw new Error(`${route} is not served by the app`);
    const row = MATRIX[route];
    expect(r.isPublic ? 'public' : [...(r.roles ?? [])].sort()).toEqual(row.roles === 'public' ? 'public' : [...row.roles].sort());
  });

  test.each(Object.entries(MATRIX).filter(([, row]) => row.contract))('%s: lets in every role api.md names, and says why it lets in more', (_, row) => {
    const roles = row.roles as readonly Role[];
    expect(row.contract!.filter((r) => !roles.includes(r))).toEqual([]);
    const extra = roles.filter((r) => !row.contract!.includes(r));
    expect({ extra, why: extra.length > 0 ? typeof row.beyondContract : 'none needed' }).toEqual({ extra, why: extra.length > 0 ? 'string' : 'none needed' });
  });
});

describe('every route as every caller', () => {
  test.each(PASSING)('$name', (c) => runCase(c));
  if (FAILING.length > 0) test.failing.each(FAILING)('$name', (c) => runCase(c));
});

describe('scoped routes with the id spelled in upper case', () => {
  const runSpelling = (c: SpellingCase) => expectAnswer(c.call(fx), c.caller, c.status);
  test.each(ID_SPELLING.filter((c) => !c.bug))('$name', runSpelling);
  const bugs = ID_SPELLING.filter((c) => c.bug);
  if (bugs.length > 0) test.failing.each(bugs)('$name', runSpelling);
});

describe('HEAD on every guarded GET route, as the callers the guard refuses', () => {
  test.each(HEAD_CASES)('$name', async ({ route, caller, status }) => {
    const call = calls.get(caseKey(route, caller));
    if (!(call && !(call instanceof Error))) throw new Error(`no request was built for ${route} as ${caller}`);
    const key = fx.keys[caller];
    const req = fx.t.http.head(call.path).query(call.query ?? {});
    const res = await (key ? req.set(bearer(key)) : req);
    expect(res.status).toBe(status);
  });
});

describe('after the matrix', () => {
  test('the ledger still verifies: balanced, chained, no wallet below zero', async () => {
    const res = await fx.t.http.get('/v1/ledger/verify').set(bearer(TEST_ADMIN_KEY));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, trialBalance: '0.00', problems: [] });
  });
});
