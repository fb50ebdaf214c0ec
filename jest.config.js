/** Every package's tests run in one jest invocation; @swc/jest strips types without type-checking (pnpm typecheck does that). */
module.exports = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/{gateway,subgraphs/*,packages/*,test}/**/test/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
