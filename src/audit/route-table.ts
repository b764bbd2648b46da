import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY, type Role } from '../auth/roles';

/** Who may call a route, as the guard will see it. */
export interface RouteAccess {
  isPublic: boolean;
  roles: readonly Role[] | undefined;
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');

/**
 * "METHOD /route/:pattern" → the roles its handler admits, for every route Nest's
 * controllers declare. A failed authentication never reaches the handler, so the audit
 * hook looks the route up here to tell a refused staff action from a refused till.
 * The paths are Fastify's `routeOptions.url` (the service sets no global prefix and no
 * versioning; test/audit.test.ts checks the two agree).
 */
export function buildRouteTable(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): Map<string, RouteAccess> {
  const table = new Map<string, RouteAccess>();
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!controller?.prototype) continue;
    const prefixes = ([] as string[]).concat((Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined) ?? '');
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (method === undefined || paths === undefined) continue;
      const targets = [handler, controller];
      const access: RouteAccess = {
        isPublic: reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
        roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      for (const prefix of prefixes) {
        for (const path of ([] as string[]).concat(paths)) table.set(`${RequestMethod[method]} ${joinPath(prefix, path)}`, access);
      }
    }
  }
  return table;
}
