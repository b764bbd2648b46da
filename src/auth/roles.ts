import { SetMetadata } from '@nestjs/common';

export const ROLES = ['admin', 'operator', 'merchant', 'door', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'auth:roles';
export const PUBLIC_KEY = 'auth:public';

/** The roles that may call a route. A route with neither this nor @Public() is closed to everyone. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** A route anyone may call without a key (health, metrics, docs, the public key). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
