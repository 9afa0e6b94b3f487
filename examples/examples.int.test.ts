import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command, MemorySaver } from "@langchain/langgraph";
import { startDevApprover } from "@pyfleet/approver";
import { getRegistry } from "@pyfleet/client";
import { silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { openFleet } from "@pyfleet/runtime";
import { testConfig, testDecisionKeys, testEnv } from "@pyfleet/runtime/testing";
import { startProducer } from "@pyfleet/producer";
import { createRedisFixture, FakeOpenAIServer, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDataAnalysisGraph } from "./data-analysis-capability.js";
import { buildTwoStagePipeline } from "./two-stage-pipeline.js";

const STATS_CODE = [
  "```python",
  "import statistics",
  "import matplotlib",
  "matplotlib.use('Agg')",
  "import matplotlib.pyplot as plt",
  "stats = {}",
  "for pv, series in context['ARCHIVER_DATA'].to_dict().items():",
  "    v = series['values']",
  "    stats[pv] = {'mean': statistics.mean(v), 'min': min(v), 'max': max(v), 'std': statistics.pstdev(v)}",
  "    plt.plot(v, label=pv)",
  "plt.legend()",
  "results = {'statistics': stats}",
  "```",
].join("\n");
const WRITE_CODE = "```python\nimport epics\nepics.caput('SR:BEAM:SETPOINT', 500)\nresults = {'statistics': {'written': True}}\n```";

describe("examples against a running fleet", () => {
  let fx: RedisFixture;
  let fake: FakeOpenAIServer;
  let fleet: Fleet;
  const closers: Array<() => Promise<void>> = [];
  let producerUrl = "";

  beforeAll(async () => {
    fx = await createRedisFixture("examples");
    fake = await FakeOpenAIServer.start();
    const env = testEnv(fx.prefix, { ...testDecisionKeys(), OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: "k" });
    const config = testConfig(env);
    const runtime = await openFleet(config, {
      stages: ["generate", "analyze", "execute"],
      modes: ["read_only", "write_access"],
      logger: silentLogger(),
      env,
      decides: true,
    });
    ({ fleet } = runtime);
    closers.push(() => fleet.close());
    const producer = await startProducer({ config, logger: silentLogger(), env, fleet, port: 0 });
    closers.push(() => producer.close());
    producerUrl = producer.url;
    const devToken = randomBytes(16).toString("hex");
    const approver = await startDevApprover({ config, runtime, logger: silentLogger(), env, port: 0, devToken });
    closers.push(() => approver.close());
    getRegistry({ url: producer.url, approverUrl: approver.url, approverToken: devToken, waitTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await fake?.close();
    await fx?.cleanup();
  });

  it("DataAnalysisCapability: the LLM's code analyses the archiver data and the results land in the agent state", async () => {
    fake.enqueue({ reply: STATS_CODE });
    const graph = buildDataAnalysisGraph(new MemorySaver());
    const archiverData = { "SR:DCCT": { timestamps: ["t0", "t1", "t2", "t3"], values: [500, 502, 498, 500] } };
    const out = await graph.invoke(
      { userQuery: "How stable was the beam current?", archiverData, contextKey: `stats-${Date.now()}` },
      { configurable: { thread_id: "agent-session-1" } },
    );
    const stats = out.analysis?.results.statistics as Record<string, { mean: number; max: number }>;
    expect(stats["SR:DCCT"]).toMatchObject({ mean: 500, max: 502 });
    expect(out.analysis?.figure_paths).toHaveLength(1);
    expect(out.analysis?.notebook_path).toMatch(/notebook\.ipynb$/);
    const prompt = fake.messagesOf(0).map((m) => m.content).join("\n");
    expect(prompt).toContain("ARCHIVER_DATA");
  });

  it("DataAnalysisCapability: an EPICS write interrupts the caller's graph; resuming with yes approves and finishes the run", async () => {
    fake.enqueue({ reply: WRITE_CODE });
    const graph = buildDataAnalysisGraph(new MemorySaver());
    const cfg = { configurable: { thread_id: "agent-session-2" } };
    const input = { userQuery: "set the beam", archiverData: {}, contextKey: `write-${Date.now()}`, dryRun: true };
    const paused = await graph.invoke(input, cfg);
    expect(paused.analysis).toBeNull();
    const state = await graph.getState(cfg);
    const value = state.tasks[0]?.interrupts[0]?.value as { user_message: string; resume_payload: Record<string, unknown> };
    expect(value.user_message).toContain("HUMAN APPROVAL REQUIRED");
    expect(value.resume_payload).toMatchObject({ approval_type: "python_executor", execution_mode: "write_access" });
    const runId = value.resume_payload.runId as string;
    expect((await fleet.get(runId))?.status).toBe("awaiting_approval");
    const done = await graph.invoke(new Command({ resume: "yes" }), cfg);
    expect(done.analysis?.results.statistics).toEqual({ written: true });
    expect(done.analysis?.recorded_writes.map((w) => w.pv)).toEqual(["SR:BEAM:SETPOINT"]);
    expect((await fleet.get(runId))?.status).toBe("completed");
  });

  it("data-analysis-capability.ts run directly: names what it needs and exits 2 without a fleet, prints the statistics with one", async () => {
    const script = fileURLToPath(new URL("./data-analysis-capability.ts", import.meta.url));
    const run = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", script], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const bare = await run({});
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("PYFLEET_URL");
    expect(bare.stderr).toContain("OPENAI_API_KEY");
    fake.enqueue({ reply: STATS_CODE });
    const ran = await run({ PYFLEET_URL: producerUrl });
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ statistics: { "SR:DCCT": { mean: 500, max: 502 } } });
  }, 120_000);

  it("two-stage pipeline: preprocessing output feeds the analysis stage", async () => {
    const graph = buildTwoStagePipeline(new MemorySaver());
    const samples = [10, 11, 9, 10, 12, 10, 250, 11, 9, 10, -300];
    const out = await graph.invoke({ samples, sessionId: `session-${Date.now()}` }, { configurable: { thread_id: "pipeline-1" } });
    expect(out.cleaned).toEqual([10, 11, 9, 10, 12, 10, 11, 9, 10]);
    expect(out.statistics).toMatchObject({ n: 9 });
    expect(out.statistics?.mean as number).toBeCloseTo(10.222, 2);
    expect(out.figures).toHaveLength(1);
  });

  it("python_executor.ainvoke honours configurable thread_id, checkpoint_ns and execution_method", async () => {
    const service = getRegistry().getService("python_executor");
    const thread = `conversation-${randomBytes(4).toString("hex")}`;
    const request = { user_query: "q", task_objective: "double it", code: "results = {'v': 2 * 21}" };
    const done = await service.ainvoke(request, { configurable: { thread_id: thread, checkpoint_ns: "capability-a", execution_method: "local" } });
    expect(done.execution_result.results).toEqual({ v: 42 });
    expect(await fleet.get(done.runId)).toMatchObject({ threadId: thread, checkpointNs: "capability-a", status: "completed" });

    // No Jupyter server answers in this test: asking for the container backend must reach the
    // executor (and fail there as infrastructure), not silently run on the configured backend.
    const failed = await service
      .ainvoke(request, { configurable: { thread_id: `${thread}-b`, checkpoint_ns: "capability-b", execution_method: "container" } })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: "PyfleetError", details: { status: "failed" } });
    const runId = (failed as { details: { runId: string } }).details.runId;
    const rec = await fleet.get(runId);
    expect(rec).toMatchObject({ threadId: `${thread}-b`, checkpointNs: "capability-b", status: "failed" });
    expect(rec?.error?.category).toBe("infrastructure");
  }, 120_000);
});
