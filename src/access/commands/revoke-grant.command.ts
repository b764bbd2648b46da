import type { Principal } from '../../auth/principal';

export class RevokeGrantCommand {
  constructor(
    readonly doorId: string,
    readonly grantId: string,
    readonly by: Principal,
  ) {}
}
