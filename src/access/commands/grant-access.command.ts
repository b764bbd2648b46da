import type { Principal } from '../../auth/principal';

export class GrantAccessCommand {
  constructor(
    readonly doorId: string,
    readonly residentId: string,
    readonly validFrom: string | null,
    readonly validUntil: string | null,
    readonly hours: { from: string; to: string } | null,
    readonly by: Principal,
  ) {}
}
