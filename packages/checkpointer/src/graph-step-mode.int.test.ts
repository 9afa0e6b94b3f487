import { Annotation, Command, END, interrupt, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PlainRedisSaver } from "./plain-redis-saver.js";

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  decision: Annotation<string>(),
});

/** A 3-node graph; `review` interrupts for a human decision like the fleet's `approve`. */
function compile(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("draft", () => ({ log: ["draft"] }))
    .addNode("review", () => {
      const decision = interrupt({ question: "ship it?" }) as string;
      return { log: [`review:${decision}`], decision };
    })
    .addNode("ship", (s) => ({ log: [`ship:${s.decision}`] }))
    .addEdge(START, "draft")
    .addEdge("draft", "review")
    .addEdge("review", "ship")
    .addEdge("ship", END)
    .compile({ checkpointer, interruptBefore: ["draft", "review", "ship"] });
}

type Graph = ReturnType<typeof compile>;

/** Runs the whole thread step by step, alternating between the graphs; returns `next` after each step. */
async function runAlternately(graphs: Graph[], threadId: string) {
  const config = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  const pick = (i: number) => graphs[i % graphs.length]!;
  const nexts: string[][] = [];
  const inputs: Parameters<Graph["invoke"]>[0][] = [{ log: ["start"] }, null, null, new Command({ resume: "yes" }), null];
  for (const [i, input] of inputs.entries()) {
    await pick(i).invoke(input, config);
    nexts.push([...(await pick(i + 1).getState(config)).next]);
  }
  const final = await pick(0).getState(config);
  const history = [];
  for await (const snap of pick(1).getStateHistory(config)) history.push(snap.metadata?.step);
  return { nexts, values: final.values, next: final.next, history };
}

describe("LangGraph step mode on the plain saver", () => {
  let fx: RedisFixture;
  beforeEach(async () => {
    fx = await createRedisFixture("cpgraph");
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("advances one run alternately from two processes' savers and ends like MemorySaver", async () => {
    const processA = compile(new PlainRedisSaver(fx.connect(), { prefix: fx.prefix }));
    const processB = compile(new PlainRedisSaver(fx.connect(), { prefix: fx.prefix }));
    const redisRun = await runAlternately([processA, processB], "run-alternate");
    const memoryRun = await runAlternately([compile(new MemorySaver())], "run-alternate");

    expect(redisRun.nexts).toEqual([["draft"], ["review"], ["review"], ["ship"], []]);
    expect(redisRun.values).toEqual({ log: ["start", "draft", "review:yes", "ship:yes"], decision: "yes" });
    expect(redisRun.next).toEqual([]);
    expect(redisRun.values).toEqual(memoryRun.values);
    expect(redisRun.nexts).toEqual(memoryRun.nexts);
    expect(redisRun.history).toEqual(memoryRun.history);
  });

  it("exposes the interrupt payload to the other process while the run waits", async () => {
    const processA = compile(new PlainRedisSaver(fx.connect(), { prefix: fx.prefix }));
    const processB = compile(new PlainRedisSaver(fx.connect(), { prefix: fx.prefix }));
    const config = { configurable: { thread_id: "run-wait", checkpoint_ns: "" } };
    await processA.invoke({ log: ["start"] }, config);
    await processB.invoke(null, config);
    await processA.invoke(null, config);
    const waiting = await processB.getState(config);
    expect(waiting.next).toEqual(["review"]);
    expect(waiting.tasks[0]?.interrupts.map((i) => i.value)).toEqual([{ question: "ship it?" }]);
  });
});
