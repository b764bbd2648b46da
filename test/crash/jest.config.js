/**
 * `npm run test:crash` only: the crash campaign (test/crash/crash.test.ts) brings its own
 * PostgreSQL cluster and runs the compiled service, so it needs none of the default run's
 * test database set-up (globalSetup/globalTeardown), and the default run ignores it.
 */
const base = require('../../jest.config.js');

const { globalSetup, globalTeardown, testPathIgnorePatterns, ...rest } = base;

module.exports = {
  ...rest,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/crash/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
};
