/**
 * Checkpointer bench: put / getTuple / list latency of the plain Redis saver next to
 * MemorySaver in the same run, a step-mode graph step on both, and Redis commands per step.
 *
 *   npx tsx bench/checkpointer/run.ts        (REDIS_URL, default redis://127.0.0.1:6379)
 *   npx tsx bench/checkpointer/run.ts 500    (iterations per operation; default 2000)
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  emptyCheckpoint,
  MemorySaver,
  uuid6,
} from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { PlainRedisSaver } from "@pyfleet/checkpointer";
import { createRedisFixture } from "@pyfleet/testing";
import { countCommands, type Latency, ms, serverCommands, table, timeIt } from "./measure.js";

const N = Number(process.argv[2] ?? 2000);
const GRAPH_RUNS = Math.max(20, Math.floor(N / 10));

/** Channel values shaped like a pyfleet run: a request, attempts with ~3 KB of code, an error chain. */
function runValues(step: number): Record<string, unknown> {
  return {
    request: { task: "analyse the beam current of the last hour", user: "op", retries: 3 },
    attempts: Array.from({ length: 1 + (step % 3) }, (_, i) => ({
      code: `import numpy as np\n${"x = np.arange(100).sum()\n".repeat(120)}`,
      sha256: randomBytes(32).toString("hex"),
      attempt: i,
    })),
    errors: [{ stage: "analyze", category: "code", message: "forbidden call", attempt: step }],
  };
}

function checkpointAt(step: number, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: runValues(step), channel_versions: versions };
}

/** Puts a chain of `length` checkpoints (each with two pending writes); returns the last config. */
async function seedChain(saver: BaseCheckpointSaver, threadId: string, length: number): Promise<RunnableConfig> {
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  for (let step = 0; step < length; step += 1) {
    const versions = { request: 1, attempts: step + 1, errors: step + 1 };
    const changed = step === 0 ? versions : { attempts: step + 1, errors: step + 1 };
    config = await saver.put(config, checkpointAt(step, versions), { source: "loop", step, parents: {} }, changed);
    await saver.putWrites(config, [["attempts", { step }], ["errors", []]], `task-${step}`);
  }
  return config;
}

async function benchSaver(saver: BaseCheckpointSaver, label: string) {
  let putConfig: RunnableConfig = { configurable: { thread_id: `${label}-put`, checkpoint_ns: "" } };
  const put = await timeIt(N, 50, async (i) => {
    const versions = { request: 1, attempts: i + 1, errors: i + 1 };
    putConfig = await saver.put(putConfig, checkpointAt(i, versions), { source: "loop", step: i, parents: {} }, {
      attempts: i + 1,
      errors: i + 1,
      ...(i === 0 ? { request: 1 } : {}),
    });
  });
  const readConfig = await seedChain(saver, `${label}-read`, 20);
  const latest = { configurable: { thread_id: `${label}-read`, checkpoint_ns: "" } };
  const getTuple = await timeIt(N, 50, () => saver.getTuple(latest));
  const getById = await timeIt(N, 50, () => saver.getTuple(readConfig));
  const list = await timeIt(Math.floor(N / 2), 20, async () => {
    let n = 0;
    for await (const _ of saver.list(latest, { limit: 10 })) n += 1;
    if (n !== 10) throw new Error(`list returned ${n} checkpoints, expected 10`);
  });
  return { put, getTuple, getById, list };
}

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  code: Annotation<string>(),
});

function compileGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("generate", () => ({ log: ["generate"], code: "print(1)\n".repeat(200) }))
    .addNode("analyze", () => ({ log: ["analyze"] }))
    .addNode("execute", () => ({ log: ["execute"] }))
    .addEdge(START, "generate")
    .addEdge("generate", "analyze")
    .addEdge("analyze", "execute")
    .addEdge("execute", END)
    .compile({ checkpointer, interruptBefore: ["generate", "analyze", "execute"] });
}

/** One fleet step: run the pending node, then read `next` (what a stage worker does). */
async function graphSteps(checkpointer: BaseCheckpointSaver, label: string, onStep?: () => void) {
  const graph = compileGraph(checkpointer);
  const start = await timeIt(GRAPH_RUNS, 5, async (i) => {
    await graph.invoke({ log: ["start"] }, { configurable: { thread_id: `${label}-g${i}` } });
  });
  onStep?.();
  const step = await timeIt(GRAPH_RUNS * 3, 15, async (i) => {
    const config = { configurable: { thread_id: `${label}-g${Math.floor(i / 3)}` } };
    await graph.invoke(null, config);
    await graph.getState(config);
  });
  return { start, step };
}

async function main() {
  const fixture = await createRedisFixture("bench");
  const { redis, prefix, url } = fixture;
  const admin = fixture.connect();
  try {
    const plain = new PlainRedisSaver(redis, { prefix });
    const memory = new MemorySaver();
    const p = await benchSaver(plain, "plain");
    const m = await benchSaver(memory, "memory");
    const pg = await graphSteps(plain, "plain");
    const mg = await graphSteps(memory, "memory");

    // Commands per step on a fresh set of runs, counted on the saver's own connection.
    const counter = countCommands(redis);
    const countedRuns = 50;
    const graph = compileGraph(plain);
    const serverBefore = await serverCommands(admin);
    for (let i = 0; i < countedRuns; i += 1) {
      await graph.invoke({ log: ["start"] }, { configurable: { thread_id: `count-${i}` } });
    }
    const startCounts = counter.total() / countedRuns;
    counter.reset();
    for (let i = 0; i < countedRuns; i += 1) {
      const config = { configurable: { thread_id: `count-${i}` } };
      for (let s = 0; s < 3; s += 1) {
        await graph.invoke(null, config);
        await graph.getState(config);
      }
    }
    const serverAfter = await serverCommands(admin);
    const stepTotal = counter.total() / (countedRuns * 3);
    const breakdown = [...counter.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${(n / (countedRuns * 3)).toFixed(2)}`)
      .join(", ");

    const row = (name: string, a: Latency, b: Latency) => [
      name,
      ms(a.p50),
      ms(a.p99),
      ms(b.p50),
      ms(b.p99),
      `${(a.p50 / b.p50).toFixed(1)}x`,
      `${(a.p99 / b.p99).toFixed(1)}x`,
    ];
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    console.log(
      `checkpointer bench: ${url}, N=${N}, graph runs=${GRAPH_RUNS}, node ${process.version}, load average ${load}\n`,
    );
    console.log(
      table(
        ["operation (ms)", "plain p50", "plain p99", "memory p50", "memory p99", "ratio p50", "ratio p99"],
        [
          row("put (3 channels, ~3 KB)", p.put, m.put),
          row("getTuple latest (+2 writes)", p.getTuple, m.getTuple),
          row("getTuple by id", p.getById, m.getById),
          row("list limit 10 of 20", p.list, m.list),
          row("graph start (input)", pg.start, mg.start),
          row("graph step (invoke+getState)", pg.step, mg.step),
        ],
      ),
    );
    console.log(
      `\nRedis commands (client requests, exact): start ${startCounts.toFixed(2)}, ` +
        `per step ${stepTotal.toFixed(2)} [${breakdown}]`,
    );
    console.log(
      `Server total_commands_processed per step (incl. commands inside Lua; other clients of a ` +
        `shared server add to it): ${((serverAfter - serverBefore - 1) / (countedRuns * 3)).toFixed(2)} ` +
        `(start + steps counted together, divided by steps)`,
    );
  } finally {
    await fixture.cleanup();
  }
}

await main();
