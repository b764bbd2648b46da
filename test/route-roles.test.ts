import { randomUUID } from 'node:crypto';
import { Controller, Get, Logger, type ExecutionContext, type Type } from '@nestjs/common';
import { APP_GUARD, ModulesContainer, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Knex } from 'knex';
import request from 'supertest';
import { generateApiKey, hashApiKey, keyPrefix } from '../src/auth/api-key-secret';
import { ApiKeysRepository } from '../src/auth/api-keys.repository';
import { PrincipalCache } from '../src/auth/principal-cache';
import { AuthGuard } from '../src/auth/auth.guard';
import { Authenticator } from '../src/auth/authenticator';
import type { Principal } from '../src/auth/principal';
import { Public, Roles, ROLES, type Role } from '../src/auth/roles';
import { ErrorFilter } from '../src/common/error.filter';
import { KNEX } from '../src/db/database.module';
import { startTestApp, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { access, controllerRoutes, type Route } from './support/routes';

describe('the real app', () => {
  let t: TestApp;
  let routes: Route[];
  const reflector = new Reflector();

  beforeAll(async () => {
    t = await startTestApp();
    routes = controllerRoutes(t.app.get(ModulesContainer));
  });
  afterAll(async () => {
    await t?.close();
  });

  test('the walk finds the routes of every controller', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /health', 'GET /metrics', 'POST /v1/api-keys', 'DELETE /v1/api-keys/:id', 'GET /v1/ledger/verify', 'GET /v1/ledger/transactions']),
    );
  });

  test('every route lists at least one known role, or is public', () => {
    const unguarded = routes.filter((r) => {
      const { isPublic, roles } = access(reflector, r);
      return !isPublic && !(Array.isArray(roles) && roles.length > 0);
    });
    expect(unguarded.map((r) => `${r.method} ${r.path} (${r.name})`)).toEqual([]);

    const unknownRoles = routes.flatMap((r) => (access(reflector, r).roles ?? []).filter((role) => !ROLES.includes(role)).map((role) => `${r.name}: ${role}`));
    expect(unknownRoles).toEqual([]);
  });

  test('no route is both public and role-restricted', () => {
    const both = routes.filter((r) => {
      const { isPublic, roles } = access(reflector, r);
      return isPublic && roles !== undefined;
    });
    expect(both.map((r) => r.name)).toEqual([]);
  });

  test('only the ops routes and the door-list signing key are public', () => {
    const open = routes.filter((r) => access(reflector, r).isPublic).map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual(['GET /health', 'GET /metrics', 'GET /v1/access/public-key']);
  });

  test('over HTTP, every non-public route answers 401 without a key, and every public one does not', async () => {
    const mismatches: string[] = [];
    for (const r of routes) {
      const path = r.path.replace(/:[A-Za-z]+/g, randomUUID());
      const method = r.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const req = t.http[method](path);
      const res = await (r.method === 'GET' || r.method === 'DELETE' ? req : req.send({}));
      const got = res.status === 401 ? 'closed' : 'open';
      const expected = access(reflector, r).isPublic ? 'open' : 'closed';
      if (got !== expected) mismatches.push(`${r.method} ${r.path}: ${res.status}, expected ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });
});

/** A throwaway module with the real guard and key store, and routes the real app does not have. */
@Controller('throwaway')
class ThrowawayController {
  @Get('forgotten')
  forgotten() {
    return { reached: 'forgotten' };
  }

  @Get('empty')
  @Roles()
  empty() {
    return { reached: 'empty' };
  }

  @Get('auditors')
  @Roles('auditor')
  auditors() {
    return { reached: 'auditors' };
  }

  @Get('open')
  @Public()
  open() {
    return { reached: 'open' };
  }
}

@Controller('admin-only')
@Roles('admin')
class ClassRolesController {
  @Get('inherits')
  inherits() {
    return { reached: 'inherits' };
  }

  @Get('overrides')
  @Roles('auditor')
  overrides() {
    return { reached: 'overrides' };
  }
}

describe('the guard on routes without roles', () => {
  let db: TestDatabase;
  let knex: Knex;
  let app: NestFastifyApplication;
  const keys = {} as Record<'admin' | 'auditor' | 'revoked', { id: string; key: string }>;
  const repo = new ApiKeysRepository();

  async function storeKey(role: Role): Promise<{ id: string; key: string }> {
    const id = randomUUID();
    const key = generateApiKey();
    await repo.insert(knex, { id, role, name: `${role} for the guard test`, keyHash: hashApiKey(key), keyPrefix: keyPrefix(key), merchantId: null, doorIds: null, createdBy: null });
    return { id, key };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = await db.connect();
    keys.admin = await storeKey('admin');
    keys.auditor = await storeKey('auditor');
    keys.revoked = await storeKey('admin');
    await repo.revoke(knex, keys.revoked.id);

    const moduleRef = await Test.createTestingModule({
      controllers: [ThrowawayController, ClassRolesController],
      providers: [ApiKeysRepository, PrincipalCache, Authenticator, { provide: KNEX, useValue: knex }, { provide: APP_GUARD, useClass: AuthGuard }],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ErrorFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    await knex?.destroy();
    await db?.drop();
  });

  const call = (path: string, key?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return key ? req.set('Authorization', `Bearer ${key}`) : req;
  };

  test.each([
    ['a route without @Roles', '/throwaway/forgotten'],
    ['a route with an empty @Roles()', '/throwaway/empty'],
  ])('%s is closed even to an admin: 403 forbidden', async (_, path) => {
    const res = await call(path, keys.admin.key);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'forbidden', message: expect.any(String) });
  });

  test('a route without @Roles still asks for a key first: 401', async () => {
    const res = await call('/throwaway/forgotten');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect((await call('/throwaway/forgotten', keys.revoked.key)).status).toBe(401);
  });

  test('a route with roles lets exactly those roles through', async () => {
    expect((await call('/throwaway/auditors', keys.auditor.key)).body).toEqual({ reached: 'auditors' });
    const res = await call('/throwaway/auditors', keys.admin.key);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  test('a public route needs no key', async () => {
    const res = await call('/throwaway/open');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reached: 'open' });
  });

  test('class-level roles apply to handlers without their own, and handler roles override them', async () => {
    expect((await call('/admin-only/inherits', keys.admin.key)).body).toEqual({ reached: 'inherits' });
    expect((await call('/admin-only/inherits', keys.auditor.key)).status).toBe(403);
    expect((await call('/admin-only/overrides', keys.auditor.key)).body).toEqual({ reached: 'overrides' });
    expect((await call('/admin-only/overrides', keys.admin.key)).status).toBe(403);
  });

  describe('called directly', () => {
    const contextFor = (handler: (...args: unknown[]) => unknown, controller: Type<unknown>, headers: Record<string, string>, req: { principal?: Principal } = {}) =>
      ({
        getHandler: () => handler,
        getClass: () => controller,
        getType: () => 'http',
        switchToHttp: () => ({ getRequest: () => Object.assign(req, { headers }), getResponse: () => ({}), getNext: () => undefined }),
      }) as unknown as ExecutionContext;

    test('a handler without metadata and a valid admin key: rejects with forbidden, and says so in the log', async () => {
      const guard = new AuthGuard(new Reflector(), new Authenticator(repo, knex, new PrincipalCache()));
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const req: { principal?: Principal } = {};
        const check = guard.canActivate(contextFor(ThrowawayController.prototype.forgotten, ThrowawayController, { authorization: `Bearer ${keys.admin.key}` }, req));
        await expect(check).rejects.toMatchObject({ code: 'forbidden' });
        expect(req.principal).toBeUndefined();
        expect(logged).toHaveBeenCalledWith(expect.stringContaining('ThrowawayController.forgotten'));
      } finally {
        logged.mockRestore();
      }
    });

    test('the same guard lets a listed role through and sets the principal', async () => {
      const guard = new AuthGuard(new Reflector(), new Authenticator(repo, knex, new PrincipalCache()));
      const req: { principal?: Principal } = {};
      await expect(guard.canActivate(contextFor(ThrowawayController.prototype.auditors, ThrowawayController, { authorization: `Bearer ${keys.auditor.key}` }, req))).resolves.toBe(true);
      expect(req.principal).toEqual({ keyId: keys.auditor.id, role: 'auditor', name: 'auditor for the guard test', merchantId: null, doorIds: [] });
    });

    test('without a key: rejects with unauthorized before looking at roles', async () => {
      const guard = new AuthGuard(new Reflector(), new Authenticator(repo, knex, new PrincipalCache()));
      await expect(guard.canActivate(contextFor(ThrowawayController.prototype.forgotten, ThrowawayController, {}))).rejects.toMatchObject({ code: 'unauthorized' });
    });
  });
});
