import type { Account } from '../../ledger/types';

export function projectAccountId(projectId: string): string {
  return `charity:${projectId}`;
}

/** What the service holds for a charity project. It only receives, from many desks at once: a hot (sharded) account. */
export function projectAccount(projectId: string): Account {
  return { id: projectAccountId(projectId), ownerType: 'charity_project', ownerId: projectId, kind: 'charity_project', currency: 'CNY', mayGoNegative: true };
}
