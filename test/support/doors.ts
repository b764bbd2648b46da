import { createPublicKey, verify } from 'node:crypto';
import { bearer, TEST_ADMIN_KEY, type TestApp } from './app';
import { apiKey } from './factories';

export interface DoorView {
  id: string;
  name: string;
  community: string;
  building: string | null;
  createdAt: string;
}

/** A door through the API: a gate of the community when no building is given. */
export async function door(t: TestApp, community = '金杨新村', building?: string): Promise<DoorView> {
  const res = await t.http
    .post('/v1/doors')
    .set(bearer(TEST_ADMIN_KEY))
    .send({ name: building ? `${community} ${building} entrance` : `${community} gate`, community, ...(building ? { building } : {}) });
  if (res.status !== 201) throw new Error(`creating a door failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A controller key for some doors. */
export async function doorKey(t: TestApp, ...doorIds: string[]): Promise<Record<string, string>> {
  return bearer((await apiKey(t, 'door', { doorIds })).key);
}

export async function check(t: TestApp, key: Record<string, string>, doorId: string, uid: string) {
  const res = await t.http.post('/v1/access/check').set(key).send({ doorId, uid });
  if (res.status !== 200) throw new Error(`check failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { decision: 'allow' | 'deny'; reason: string; cardId?: string };
}

/** Verifies a signed allowlist answer with nothing but the public key, as a controller would. */
export async function verifiedList(t: TestApp, res: { headers: Record<string, string>; text: string }): Promise<unknown> {
  const pk = await t.http.get('/v1/access/public-key');
  const key = createPublicKey(pk.body.publicKey);
  const ok = verify(null, Buffer.from(res.text, 'utf8'), key, Buffer.from(res.headers.signature, 'base64'));
  if (!ok) throw new Error('allowlist signature does not verify');
  return JSON.parse(res.text);
}
