import { ValidationFailed } from '../../common/domain-error';
import { UID_MESSAGE } from '../../cards/dto/card-requests.dto';
import { normalizeUid } from '../../cards/uid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CheckAccessBody {
  doorId: string;
  uid: string;
}

/**
 * The door check's body, validated by hand: this route is served outside Nest's
 * pipeline for speed (see check-route.ts), with the same rules and answers as the
 * ValidationPipe gives elsewhere.
 */
export function parseCheckBody(body: unknown): CheckAccessBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationFailed('body must be a JSON object {doorId, uid}');
  const problems: string[] = [];
  for (const key of Object.keys(body)) if (key !== 'doorId' && key !== 'uid') problems.push(`property ${key} should not exist`);
  const { doorId, uid } = body as Record<string, unknown>;
  if (typeof doorId !== 'string' || !UUID.test(doorId)) problems.push('doorId must be a UUID');
  const normalized = normalizeUid(uid);
  if (normalized === null) problems.push(UID_MESSAGE);
  if (problems.length > 0) throw new ValidationFailed(problems.join('; '));
  return { doorId: (doorId as string).toLowerCase(), uid: normalized! };
}
