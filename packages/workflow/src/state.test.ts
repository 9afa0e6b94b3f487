import { END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { makeRequest } from "@pyfleet/testing";
import { changedOnly, type RunState, RunStateAnnotation } from "./state.js";

describe("RunStateAnnotation", () => {
  it("keeps the first request even when a later update carries another one", async () => {
    const graph = new StateGraph(RunStateAnnotation)
      .addNode("overwrite", () => ({ request: makeRequest({ task_objective: "something else" }), generationFailures: 7 }))
      .addEdge(START, "overwrite")
      .addEdge("overwrite", END)
      .compile({ checkpointer: new MemorySaver() });
    const cfg = { configurable: { thread_id: "t" } };
    const out = await graph.invoke({ runId: "r", request: makeRequest({ task_objective: "the original" }) }, cfg);
    expect(out.request.task_objective).toBe("the original");
    expect(out.generationFailures).toBe(7);
    expect(out.runId).toBe("r");
  });

  it("starts every other field at a JSON default", async () => {
    const graph = new StateGraph(RunStateAnnotation)
      .addNode("noop", () => ({}))
      .addEdge(START, "noop")
      .addEdge("noop", END)
      .compile();
    const out = await graph.invoke({ runId: "r", request: makeRequest() });
    expect(out).toMatchObject({ attempts: [], errorChain: [], folderPath: null, decision: null, final: null, route: null });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});

describe("changedOnly", () => {
  const state = { folderPath: "/runs/r", decision: null, needsApproval: false, attempts: [], route: "analyze", generationFailures: 0 } as unknown as RunState;

  it("leaves out the fields a node returns with the value the state already holds", () => {
    const update = changedOnly(state, { folderPath: "/runs/r", decision: null, needsApproval: false, attempts: state.attempts, route: "execute" });
    expect(update).toEqual({ route: "execute" });
  });

  it("keeps every field whose value differs, an equal-looking new object included", () => {
    const attempts = [] as RunState["attempts"];
    expect(changedOnly(state, { attempts, needsApproval: true, generationFailures: 1, route: null })).toEqual({
      attempts,
      needsApproval: true,
      generationFailures: 1,
      route: null,
    });
  });
});
