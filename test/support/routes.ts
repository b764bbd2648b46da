import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { PUBLIC_KEY, ROLES_KEY, type Role } from '../../src/auth/roles';
import { FastLane } from '../../src/lane/fast-lane';

/**
 * The service's route table, read from the running app itself: every route Nest's
 * controllers registered (walked in Nest's own module container, the way the router
 * finds them) and every route of the fast lane (src/lane/fast-lane.ts), which answers
 * in front of Fastify and Nest and so is invisible to the walk.
 */

export interface Route {
  method: string;
  path: string;
  name: string;
  handler: (...args: unknown[]) => unknown;
  controller: Type<unknown>;
}

export const joinPath = (...parts: (string | undefined)[]) =>
  '/' +
  parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/');

/** Every route the app's controllers registered, read from Nest's own module container. */
export function controllerRoutes(container: ModulesContainer): Route[] {
  const routes: Route[] = [];
  for (const module of container.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller) continue;
      const prefixes = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || paths === undefined) continue;
        for (const prefix of prefixes) {
          for (const path of ([] as string[]).concat(paths)) {
            routes.push({ method: RequestMethod[method], path: joinPath(prefix, path), name: `${controller.name}.${name}`, handler, controller });
          }
        }
      }
    }
  }
  return routes;
}

/** What the guard will see: handler metadata overriding class metadata. */
export function access(reflector: Reflector, route: Pick<Route, 'handler' | 'controller'>) {
  const targets = [route.handler, route.controller];
  return {
    isPublic: reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
    roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
  };
}

/**
 * Every method and path Fastify itself routes (Nest's routes are among them, the lane's
 * are not: the lane answers before Fastify), read from Fastify's own route tree
 * (`printRoutes`). HEAD routes Fastify adds for each GET are left out. A route someone
 * registers on Fastify directly bypasses Nest's guard, so a test compares this with the
 * route table.
 */
export function fastifyRoutes(app: INestApplicationContext & { getHttpAdapter(): { getInstance(): unknown } }): { method: string; path: string }[] {
  const tree = (app.getHttpAdapter().getInstance() as { printRoutes(opts: { commonPrefix: boolean }): string }).printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of tree.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) throw new Error(`cannot read this line of Fastify's route tree: ${JSON.stringify(line)}`);
    const depth = m[1].length / 4;
    const path = (parents[depth - 1] ?? '') + m[2];
    parents.length = depth;
    parents[depth] = path;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD') routes.push({ method, path });
    }
  }
  return routes;
}

/** One row of the whole table: where the route is served, and who may call it. */
export interface ServedRoute {
  /** "METHOD /path", with Nest's `:param` placeholders. */
  key: string;
  method: string;
  path: string;
  /** The controller method (ClassName.method) or `FastLane` for a lane route. */
  name: string;
  served: 'nest' | 'lane';
  isPublic: boolean;
  /** The role list the guard (or the lane) checks; undefined: none declared (closed to every role). */
  roles: readonly Role[] | undefined;
}

/** The lane's routes, as the lane itself lists them (FastLane.all), with the roles it authorizes. */
export function laneRoutes(app: INestApplicationContext): ServedRoute[] {
  return app.get(FastLane).all.map((r) => ({
    key: `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    name: 'FastLane',
    served: 'lane',
    isPublic: false,
    roles: r.roles,
  }));
}

/**
 * Every route the app serves, Nest's and the lane's. A lane route shadows a Nest route
 * of the same method and path (the lane answers first), so the lane's entry wins.
 */
export function servedRoutes(app: INestApplicationContext): ServedRoute[] {
  const reflector = new Reflector();
  const lane = laneRoutes(app);
  const shadowed = new Set(lane.map((r) => r.key));
  const nest = controllerRoutes(app.get(ModulesContainer))
    .map((r): ServedRoute => {
      const { isPublic, roles } = access(reflector, r);
      return { key: `${r.method} ${r.path}`, method: r.method, path: r.path, name: r.name, served: 'nest', isPublic, roles };
    })
    .filter((r) => !shadowed.has(r.key));
  return [...nest, ...lane].sort((a, b) => a.key.localeCompare(b.key));
}
