import { RequestMethod, type INestApplicationContext, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import { PUBLIC_KEY, ROLES, ROLES_KEY, type Role } from '../../src/auth/roles';
import { NoBody } from '../../src/common/no-body.pipe';
import { FastLane } from '../../src/lane/fast-lane';

/**
 * The endpoints to fuzz, read from the running app: the OpenAPI document it serves
 * (GET /docs-json, which lists the lane's routes too), merged with Nest's own route
 * table (roles, public or not, the body and query DTOs, whether the handler takes an
 * Idempotency-Key, i.e. moves money) and the fast lane's routes. A new endpoint is
 * fuzzed without touching this campaign; one missing from the document is still found
 * in Nest's table.
 */

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: unknown;
  pattern?: string;
  $ref?: string;
}

export type BodyKind = 'json' | 'csv' | 'refuses-body' | 'none';

export interface Endpoint {
  /** "POST /v1/cards/:id/lock" */
  key: string;
  method: string;
  /** Nest style, with `:param` placeholders. */
  path: string;
  params: string[];
  /** Query parameters the route reads (OpenAPI and its query DTO). */
  query: string[];
  /** The route validates its query with a DTO (unknown parameters are refused). */
  queryDto: boolean;
  body: BodyKind;
  /** The JSON body's schema, $refs resolved. */
  schema?: Schema;
  isPublic: boolean;
  /** Roles allowed; undefined when unknown (every role is tried). */
  roles?: readonly Role[];
  /** Takes an Idempotency-Key: moves money. Requests to it must always be refused. */
  idempotent: boolean;
  served: 'nest' | 'lane' | 'document';
  documented: boolean;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
}

const joinPath = (...parts: (string | undefined)[]) =>
  '/' +
  parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/');

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

interface NestRoute {
  key: string;
  method: string;
  path: string;
  isPublic: boolean;
  roles?: Role[];
  idempotent: boolean;
  bodyArg?: { metatype?: unknown; refusesBody: boolean };
  queryDto?: Type<unknown>;
}

export function enumerateEndpoints(app: INestApplicationContext, doc: OpenApiDoc): Endpoint[] {
  const nest = new Map(nestRoutes(app).map((r) => [r.key, r]));
  const lane = new Map(app.get(FastLane).all.map((r) => [`${r.method} ${r.path}`, r]));
  const out = new Map<string, Endpoint>();

  for (const [docPath, item] of Object.entries(doc.paths)) {
    const path = docPath.replace(/\{([^}]+)\}/g, ':$1');
    for (const [m, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(m)) continue;
      const method = m.toUpperCase();
      const key = `${method} ${path}`;
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const n = nest.get(key);
      const l = lane.get(key);
      const docQuery = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const idempotentDoc = (op.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      out.set(key, {
        key,
        method,
        path,
        params: paramsOf(path),
        query: unique([...docQuery, ...(n?.queryDto ? dtoProperties(n.queryDto) : [])]),
        queryDto: !!n?.queryDto,
        body: content['text/csv'] ? 'csv' : json ? 'json' : n?.bodyArg?.refusesBody ? 'refuses-body' : n?.bodyArg?.metatype ? 'json' : 'none',
        schema: json ? resolve(json, doc) : n?.bodyArg?.metatype ? schemaFromDto(n.bodyArg.metatype as Type<unknown>) : undefined,
        isPublic: l ? false : (n?.isPublic ?? false),
        roles: l ? l.roles : n?.roles,
        idempotent: idempotentDoc || !!n?.idempotent,
        served: l ? 'lane' : n ? 'nest' : 'document',
        documented: true,
      });
    }
  }
  // Routes left out of the document are fuzzed all the same.
  for (const n of nest.values()) {
    if (out.has(n.key)) continue;
    out.set(n.key, {
      key: n.key,
      method: n.method,
      path: n.path,
      params: paramsOf(n.path),
      query: n.queryDto ? dtoProperties(n.queryDto) : [],
      queryDto: !!n.queryDto,
      body: n.bodyArg?.refusesBody ? 'refuses-body' : n.bodyArg?.metatype ? 'json' : 'none',
      schema: n.bodyArg?.metatype ? schemaFromDto(n.bodyArg.metatype as Type<unknown>) : undefined,
      isPublic: n.isPublic,
      roles: n.roles,
      idempotent: n.idempotent,
      served: 'nest',
      documented: false,
    });
  }
  for (const [key, r] of lane) {
    if (out.has(key)) continue;
    out.set(key, { key, method: r.method, path: r.path, params: [], query: [], queryDto: false, body: 'json', isPublic: false, roles: r.roles, idempotent: true, served: 'lane', documented: false });
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const paramsOf = (path: string) => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
const unique = <T>(xs: T[]) => [...new Set(xs)];

function resolve(schema: Schema, doc: OpenApiDoc, depth = 0): Schema {
  if (depth > 20) return {};
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return resolve(doc.components?.schemas?.[name] ?? {}, doc, depth + 1);
  }
  const out: Schema = { ...schema };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(v, doc, depth + 1)]));
  if (schema.items) out.items = resolve(schema.items, doc, depth + 1);
  return out;
}

/** The properties class-validator knows for a DTO (inherited ones included). */
function dtoProperties(dto: Type<unknown>): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return unique(metas.map((m) => m.propertyName));
}

function schemaFromDto(dto: Type<unknown>): Schema {
  return { type: 'object', properties: Object.fromEntries(dtoProperties(dto).map((p) => [p, {}])) };
}

function nestRoutes(app: INestApplicationContext): NestRoute[] {
  const reflector = new Reflector();
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
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
        const targets = [handler, controller];
        const isPublic = reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true;
        const roles = reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { index: number; factory?: unknown; pipes?: unknown[] }>;
        const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, name) ?? []) as unknown[];
        let bodyArg: NestRoute['bodyArg'];
        let queryDto: Type<unknown> | undefined;
        let idempotent = false;
        for (const [k, arg] of Object.entries(args)) {
          const kind = Number(k.split(':')[0]);
          if (kind === RouteParamtypes.BODY) {
            const metatype = types[arg.index];
            const dto = typeof metatype === 'function' && ![Object, String, Number, Boolean, Array].includes(metatype as never) ? metatype : undefined;
            bodyArg = { metatype: dto, refusesBody: (arg.pipes ?? []).includes(NoBody) };
          } else if (kind === RouteParamtypes.QUERY) {
            const metatype = types[arg.index];
            if (typeof metatype === 'function' && metatype !== Object) queryDto = metatype as Type<unknown>;
          } else if (k.includes('__customRouteArgs__') && typeof arg.factory === 'function') {
            idempotent ||= takesIdempotencyKey(arg.factory as (data: unknown, ctx: unknown) => unknown);
          }
        }
        for (const prefix of prefixes) {
          for (const path of ([] as string[]).concat(paths)) {
            const full = joinPath(prefix, path);
            routes.push({ key: `${RequestMethod[method]} ${full}`, method: RequestMethod[method], path: full, isPublic, roles, idempotent, bodyArg, queryDto });
          }
        }
      }
    }
  }
  return routes;
}

/**
 * Whether a custom parameter decorator is the Idempotency-Key one: called for a request
 * that has a principal but no such header, it refuses with idempotency_key_required.
 */
function takesIdempotencyKey(factory: (data: unknown, ctx: unknown) => unknown): boolean {
  const req = { principal: { keyId: '00000000-0000-4000-8000-000000000000', role: 'admin', name: 'probe' }, headers: {}, method: 'POST', url: '/', params: {}, body: {} };
  const ctx = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}), getNext: () => undefined }),
    getHandler: () => undefined,
    getClass: () => undefined,
    getType: () => 'http',
    getArgs: () => [req, {}],
    getArgByIndex: (i: number) => [req, {}][i],
  };
  try {
    factory(undefined, ctx);
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 'idempotency_key_required';
  }
}

export const ALL_ROLES: readonly Role[] = ROLES;
