// Tests run on the compiled output (tsc -b first): one type-check, no transform at test time.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/e2e'],
  testMatch: ['**/dist/**/*.test.js'],
  transform: {},
  testTimeout: 60000,
};
