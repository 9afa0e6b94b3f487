import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:chaos`): real processes killed, Redis restarted, load and fuzzing.
 * One file at a time: each scenario owns the machine's two cores while it measures. Timeouts are
 * generous (bounded): on a 2-core machine at load 30 (other suites running) a scenario that
 * restarts processes six times took over 300 s, mostly tsx boots of the restarted processes.
 */
export default defineConfig({
  test: {
    include: ["chaos/**/*.chaos.test.ts"],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
