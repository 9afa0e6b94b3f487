import { AsyncLocalStorage } from "node:async_hooks";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { RunnableLambda } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { beforeAll, describe, expect, it } from "vitest";
import { installLightRunContext, tracerConfigured } from "./light-run-context.js";

/** What a runnable sees as its async-local store and config while it runs. */
async function seenInside(config: Parameters<RunnableLambda<unknown, unknown>["invoke"]>[1]) {
  const probe = RunnableLambda.from(() => ({
    store: AsyncLocalStorageProviderSingleton.getInstance().getStore() as Record<string, unknown>,
    config: AsyncLocalStorageProviderSingleton.getRunnableConfig() as { metadata?: Record<string, unknown> } | undefined,
  }));
  return probe.invoke(null, config);
}

/** Stands in for LangChain's tracer: the one handler `runWithConfig` asks for a run tree. */
class StubTracer extends BaseCallbackHandler {
  name = "langchain_tracer";
  getRunTreeWithTracingConfig(runId: string) {
    return { stub: true, runId };
  }
}

describe("installLightRunContext", () => {
  beforeAll(() => {
    AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
    installLightRunContext();
    installLightRunContext();
  });

  it("runs an untraced runnable with its config in a plain store, no run tree", async () => {
    const { store, config } = await seenInside({ metadata: { marker: "m-1" } });
    expect(Object.getPrototypeOf(store)).toBe(Object.prototype);
    expect(Object.keys(store)).toEqual(["extra"]);
    expect(config?.metadata?.marker).toBe("m-1");
  });

  it("keeps the original run tree when a LangChain tracer is among the callbacks", async () => {
    const { store, config } = await seenInside({ callbacks: [new StubTracer()], metadata: { marker: "m-2" } });
    expect(store).toMatchObject({ stub: true });
    expect(config?.metadata?.marker).toBe("m-2");
  });

  it("tells when LangSmith's environment turns tracing on (the fast steps then leave every step to LangGraph)", () => {
    const before = process.env.LANGSMITH_TRACING;
    try {
      delete process.env.LANGSMITH_TRACING;
      expect(tracerConfigured()).toBe(false);
      process.env.LANGSMITH_TRACING = "true";
      expect(tracerConfigured()).toBe(true);
    } finally {
      if (before === undefined) delete process.env.LANGSMITH_TRACING;
      else process.env.LANGSMITH_TRACING = before;
    }
  });
});
