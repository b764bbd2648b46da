import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden } from './auth.errors';
import { Authenticator } from './authenticator';
import type { AuthenticatedRequest } from './principal';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles';

/**
 * Checks every request: public routes pass, every other route needs an unrevoked
 * key whose role is listed on the route. A route that lists no roles is closed, so
 * forgetting the decorator fails safe.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);

    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, unknown> }>();
    const principal = await this.auth.authenticate(request.headers.authorization);
    if (!roles || roles.length === 0) {
      this.logger.error(`route ${context.getClass().name}.${context.getHandler().name} has no role list; refusing`);
      throw new Forbidden('this route is not open to any role');
    }
    this.auth.authorize(principal, roles);
    request.principal = principal;
    return true;
  }
}
