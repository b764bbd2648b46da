import { PrincipalCache } from './principal-cache';
import type { Principal } from './principal';

const alice: Principal = { keyId: 'k1', role: 'merchant', name: 'till', merchantId: 'm1', doorIds: [] };

test('while revocations are not heard, a cached key is served until it is a second old', () => {
  const cache = new PrincipalCache();
  cache.set('h1', alice, 1000);
  expect(cache.get('h1', 1999)).toBe(alice);
  expect(cache.get('h1', 2000)).toBeUndefined();
  expect(cache.get('h1', 1500)).toBeUndefined();
});

test('forgetting a key id drops it at once', () => {
  const cache = new PrincipalCache();
  cache.set('h1', alice, 1000);
  cache.set('h2', { ...alice, keyId: 'k2' }, 1000);
  cache.forget('k1');
  expect(cache.get('h1', 1001)).toBeUndefined();
  expect(cache.get('h2', 1001)).toMatchObject({ keyId: 'k2' });
});

test('while revocations are heard by NOTIFY, a cached key is served for a minute', () => {
  const cache = new PrincipalCache();
  cache.hearingRevocations(true);
  cache.set('h1', alice, 1000);
  expect(cache.get('h1', 60_999)).toBe(alice);
  expect(cache.get('h1', 61_000)).toBeUndefined();
});

test('going deaf shortens the lifetime of what is already cached', () => {
  const cache = new PrincipalCache();
  cache.hearingRevocations(true);
  cache.set('h1', alice, 1000);
  cache.hearingRevocations(false);
  expect(cache.get('h1', 2000)).toBeUndefined();
});

test('a look-up that finishes after the revocation does not bring the key back', () => {
  const cache = new PrincipalCache();
  cache.forget('k1');
  cache.set('h1', alice, 1000);
  expect(cache.get('h1', 1001)).toBeUndefined();
});
