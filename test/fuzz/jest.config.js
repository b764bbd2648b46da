/**
 * `npm run test:fuzz` only: the bad-input campaign (test/fuzz/fuzz.test.ts), on the
 * default run's test database set-up; the default run (`npm test`) ignores test/fuzz.
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
