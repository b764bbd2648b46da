/** One run for unit specs (next to the code) and integration tests (under test/). */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: ['<rootDir>/ledger/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts', '<rootDir>/card-reader/src/**/*.spec.ts', '<rootDir>/card-reader/test/**/*.test.ts'],
  // Not in the default run: test/crash is `npm run test:crash` (its own PostgreSQL cluster, minutes long).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/crash/',
    // The bad-input campaign is a run of its own: npm run test:fuzz.
    '<rootDir>/test/fuzz/',
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  // @fastify/static (behind /docs) requires an ESM-only package that jest cannot require.
  moduleNameMapper: { '^content-disposition$': '<rootDir>/test/support/content-disposition.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
};
