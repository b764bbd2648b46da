import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';
import { plainAddress, resourceIds, shouldRecord, summarize } from './staff-action';

const key = (role: Role): Principal => ({ keyId: '00000000-0000-4000-8000-000000000001', role, name: role, merchantId: null, doorIds: [] });
const staffOnly: Role[] = ['admin', 'operator'];
const mixed: Role[] = ['merchant', 'admin'];

describe('shouldRecord', () => {
  test.each<[string, Parameters<typeof shouldRecord>[0], boolean]>([
    ['operator write, success', { method: 'POST', route: '/v1/cards', routeRoles: staffOnly, principal: key('operator'), status: 201 }, true],
    ['operator write, refused', { method: 'POST', route: '/v1/cards/:id/lock', routeRoles: staffOnly, principal: key('operator'), status: 409 }, true],
    ['admin delete', { method: 'DELETE', route: '/v1/api-keys/:id', routeRoles: ['admin'], principal: key('admin'), status: 204 }, true],
    ['operator personal read', { method: 'GET', route: '/v1/residents/:id', routeRoles: staffOnly, principal: key('operator'), status: 200 }, true],
    ['HEAD of a personal read', { method: 'HEAD', route: '/v1/residents/:id', routeRoles: staffOnly, principal: key('operator'), status: 200 }, true],
    ['auditor personal read', { method: 'GET', route: '/v1/cards/:id/transactions', routeRoles: ['admin', 'operator', 'auditor'], principal: key('auditor'), status: 200 }, true],
    ['operator other read', { method: 'GET', route: '/v1/doors', routeRoles: staffOnly, principal: key('operator'), status: 200 }, false],
    ['auditor reading the trail', { method: 'GET', route: '/v1/audit/events', routeRoles: ['auditor', 'admin'], principal: key('auditor'), status: 200 }, false],
    ['till refund', { method: 'POST', route: '/v1/payments/:id/refunds', routeRoles: mixed, principal: key('merchant'), status: 201 }, false],
    ['till refund of another merchant (403 by scope)', { method: 'POST', route: '/v1/payments/:id/refunds', routeRoles: mixed, principal: key('merchant'), status: 403 }, false],
    ['till on a staff route', { method: 'POST', route: '/v1/cards', routeRoles: staffOnly, principal: key('merchant'), status: 403 }, true],
    ['door on a staff route', { method: 'POST', route: '/v1/doors', routeRoles: ['admin'], principal: key('door'), status: 403 }, true],
    ['no key on a staff route', { method: 'POST', route: '/v1/cards', routeRoles: staffOnly, principal: undefined, status: 401 }, true],
    ['no key on a personal read', { method: 'GET', route: '/v1/residents/:id', routeRoles: staffOnly, principal: undefined, status: 401 }, true],
    ['no key on a door-only read', { method: 'GET', route: '/v1/doors/:id/allowlist', routeRoles: ['door', 'admin'], principal: undefined, status: 401 }, false],
    ['a route Nest does not know', { method: 'POST', route: '/v1/unknown', routeRoles: undefined, principal: undefined, status: 401 }, false],
    ['rate limited', { method: 'POST', route: '/v1/cards', routeRoles: staffOnly, principal: key('operator'), status: 429 }, false],
  ])('%s: %s', (_, decision, expected) => {
    expect(shouldRecord(decision)).toBe(expected);
  });
});

describe('what is kept of a request', () => {
  const body = { residentId: 'r-1', idNumber: '11010519491231002X', phone: '13800138000', name: '张秀英', reason: 'lost', address: { room: '301' }, amount: '12.50' };

  test('field names always; values only of safe fields, and only on success', () => {
    expect(summarize(body, {}, true)).toEqual({
      fields: ['address', 'amount', 'idNumber', 'name', 'phone', 'reason', 'residentId'],
      values: { residentId: 'r-1', reason: 'lost', amount: '12.50' },
    });
    expect(summarize(body, {}, false)).toEqual({ fields: ['address', 'amount', 'idNumber', 'name', 'phone', 'reason', 'residentId'] });
    const text = JSON.stringify(summarize(body, { status: 'unpaid', q: '张' }, true));
    for (const personal of ['11010519491231002X', '13800138000', '张秀英', '301', '张']) expect(text).not.toContain(personal);
  });

  test('odd field names and non-object bodies', () => {
    expect(summarize({ 'a b': 1, ok: 2 }, undefined, true)).toEqual({ fields: ['?', 'ok'] });
    expect(summarize('residentId,payee\n...', undefined, true)).toEqual({ bodyBytes: 20 });
    expect(summarize(undefined, undefined, true)).toEqual({});
  });

  test('resource ids: path ids, id fields of a successful body, the answered id', () => {
    expect(resourceIds({ id: 'c-1' }, { cardId: 'c-2', doorIds: ['d-1', 'd-2'], name: 'x' }, true, 'n-1')).toEqual(['c-1', 'c-2', 'd-1', 'd-2', 'n-1']);
    expect(resourceIds({ id: 'c-1' }, { cardId: 'c-2' }, false, undefined)).toEqual(['c-1']);
    expect(resourceIds({}, { cardId: '13800138000 张' }, true, undefined)).toEqual([]);
  });

  test('IPv4-mapped addresses are shown as IPv4', () => {
    expect(plainAddress('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(plainAddress('::1')).toBe('::1');
    expect(plainAddress(undefined)).toBeNull();
  });
});
