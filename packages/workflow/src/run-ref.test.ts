import { describe, expect, it } from "vitest";
import { makeRequest } from "@pyfleet/testing";
import { graphConfig, graphThreadId, refForInput } from "./run-ref.js";

describe("run refs", () => {
  it("prefers the input's thread and namespace, then the request's, then the run id", () => {
    const request = makeRequest({ thread_id: "req-thread", checkpoint_ns: "req-ns" });
    expect(refForInput({ runId: "r", threadId: "in-thread", checkpointNs: "in-ns" }, request)).toEqual({ threadId: "in-thread", checkpointNs: "in-ns" });
    expect(refForInput({ runId: "r" }, request)).toEqual({ threadId: "req-thread", checkpointNs: "req-ns" });
    expect(refForInput({ runId: "r" }, makeRequest())).toEqual({ threadId: "r", checkpointNs: "" });
  });

  it("folds a namespace into LangGraph's thread id and always runs the root at namespace ''", () => {
    expect(graphThreadId({ threadId: "t", checkpointNs: "" })).toBe("t");
    expect(graphThreadId({ threadId: "t", checkpointNs: "a/b" })).toBe("t/a/b");
    expect(() => graphThreadId({ threadId: "t/a", checkpointNs: "" })).toThrow(/must not contain/);
    expect(graphConfig({ threadId: "t", checkpointNs: "ns" })).toEqual({ configurable: { thread_id: "t/ns", checkpoint_ns: "" } });
  });

  it("rejects thread ids that could collide with a folded namespace", () => {
    expect(() => refForInput({ runId: "r", threadId: "t/a" }, makeRequest())).toThrow(/thread id "t\/a" must match/);
  });
});
