// @ts-check
/**
 * Calls to the service. The operator key lives in sessionStorage (this tab only,
 * gone when it closes) and travels only in the Authorization header.
 */

const SESSION = 'desk.session';
const PENDING = 'desk.pending';

/** @typedef {{ key: string, name: string, role: string, station: string }} Session */

export class ApiError extends Error {
  /**
   * @param {number} status 0 when the service was not reached
   * @param {string} code the contract's code, or 'network'
   * @param {boolean} uncertain the action may or may not have happened: retry with the same Idempotency-Key
   */
  constructor(status, code, uncertain) {
    super(code);
    this.status = status;
    this.code = code;
    this.uncertain = uncertain;
  }
}

/** @returns {Session | null} */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION) ?? 'null');
  } catch {
    return null;
  }
}

/** @param {Session | null} value */
export function setSession(value) {
  if (value) sessionStorage.setItem(SESSION, JSON.stringify(value));
  else sessionStorage.clear();
}

/** @type {() => void} */
let onUnauthorized = () => undefined;

/** @param {() => void} handler called when the service no longer accepts the key */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ idempotencyKey?: string, key?: string }} [opts]
 */
export async function api(method, path, body, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const key = opts.key ?? session()?.key;
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'network', true);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const code = typeof data?.code === 'string' ? data.code : '';
  if (res.status === 401 && !opts.key) onUnauthorized();
  throw new ApiError(res.status, code, res.status >= 500 || code === 'idempotency_key_in_progress');
}

/** A version 4 UUID; crypto.randomUUID exists only on https or localhost, a desk may be on plain http. */
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A call that moves money. The same action with the same body reuses its
 * Idempotency-Key until the service has given a definite answer, even across a page
 * reload, so a retry after a lost answer never moves the money twice. After a
 * definite answer (success or refusal) the next attempt is a new action.
 * @param {string} path
 * @param {unknown} [body]
 */
export async function moneyCall(path, body) {
  const fingerprint = JSON.stringify([path, body ?? null]);
  const pending = readPending();
  const idempotencyKey = pending[fingerprint] ?? newKey();
  pending[fingerprint] = idempotencyKey;
  writePending(pending);
  try {
    const result = await api('POST', path, body, { idempotencyKey });
    forget(fingerprint);
    return result;
  } catch (err) {
    if (!(err instanceof ApiError) || !err.uncertain) forget(fingerprint);
    throw err;
  }
}

/** @returns {Record<string, string>} */
function readPending() {
  try {
    return JSON.parse(sessionStorage.getItem(PENDING) ?? '{}');
  } catch {
    return {};
  }
}

/** @param {Record<string, string>} pending */
function writePending(pending) {
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
}

/** @param {string} fingerprint */
function forget(fingerprint) {
  const pending = readPending();
  delete pending[fingerprint];
  writePending(pending);
}
