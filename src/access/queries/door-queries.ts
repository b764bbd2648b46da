import type { Principal } from '../../auth/principal';

export class GetDoorQuery {
  constructor(
    readonly doorId: string,
    readonly by: Principal,
  ) {}
}

export class ListDoorsQuery {
  constructor(
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {}
}

export class ListGrantsQuery {
  constructor(
    readonly doorId: string,
    readonly includeRevoked: boolean,
  ) {}
}

export class DoorEventsQuery {
  constructor(
    readonly doorId: string,
    readonly filter: { cardId?: string; from?: string; to?: string },
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {}
}
