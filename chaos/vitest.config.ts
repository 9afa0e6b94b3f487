import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:chaos`): real processes killed, Redis restarted, load and fuzzing.
 * One file at a time: each scenario owns the machine's two cores while it measures.
 */
export default defineConfig({
  test: {
    include: ["chaos/**/*.chaos.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
