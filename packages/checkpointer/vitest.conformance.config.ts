import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The LangGraph checkpointer conformance suite (`npm run test:conformance`). The suite
 * registers its tests through vitest globals, hence `globals: true`; its file is named
 * `*.validation.ts` so the root unit/int projects never pick it up a second time.
 */
export default defineConfig({
  test: {
    name: "conformance",
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["packages/checkpointer/src/conformance.validation.ts"],
    globals: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
