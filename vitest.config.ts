import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "deploy/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.hostile.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "int",
          include: ["packages/*/src/**/*.int.test.ts", "apps/*/src/**/*.int.test.ts", "examples/**/*.int.test.ts", "deploy/test/**/*.int.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // `npm run test:hostile`: hostile snippets against the sandboxes and the CA gate (docs/security.md)
        test: {
          name: "hostile",
          include: ["packages/*/src/**/*.hostile.test.ts"],
          // one simulated IOC for every backend's file; the files run in parallel against it
          globalSetup: ["packages/execution/src/sandbox/hostile/ioc.global-setup.ts"],
          fileParallelism: true,
          maxWorkers: 4,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
