import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from './roles';

/** Who is calling: the API key that authenticated the request. */
export interface Principal {
  keyId: string;
  role: Role;
  name: string;
  merchantId: string | null;
  doorIds: string[];
}

export type AuthenticatedRequest = { principal?: Principal };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
