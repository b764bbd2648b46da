/**
 * Import this before starting an app under jest.
 *
 * SwaggerModule.setup() loads @fastify/static, which requires content-disposition 3,
 * an ES module. Node 20.19+ can require() it, but jest's module runtime cannot
 * (ERR_REQUIRE_ESM), and Nest's loadPackage then calls process.exit(1). This hands
 * jest Node's own loading of that one package.
 */
jest.mock('content-disposition', () =>
  (process as unknown as { getBuiltinModule(id: string): typeof import('node:module') })
    .getBuiltinModule('node:module')
    .createRequire(__filename)('content-disposition'),
);

export {};
