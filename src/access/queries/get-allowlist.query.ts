import type { Principal } from '../../auth/principal';
import type { ListedWindow } from '../allowlist';

export class GetAllowlistQuery {
  constructor(
    readonly doorId: string,
    readonly since: number | undefined,
    readonly by: Principal,
  ) {}
}

/** UIDs in `limits` open the door only within their windows; the others at any time. */
export interface FullAllowlist {
  doorId: string;
  version: number;
  uids: string[];
  limits: Record<string, ListedWindow[]>;
}

/** `added` holds new and changed entries; apply `removed`, then `added`, to the list at `since`. */
export interface AllowlistDelta {
  doorId: string;
  version: number;
  since: number;
  added: string[];
  removed: string[];
  limits: Record<string, ListedWindow[]>;
}
