import { spawnWorker, startTestFleet, type TestFleet, testEnv, waitForStatus } from "@pyfleet/runtime/testing";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";

/** No key and no base URL anywhere (the config's base_url comes from OPENAI_BASE_URL). */
const NO_LLM = { OPENAI_API_KEY: "", OPENAI_BASE_URL: "" };

describe("pyfleet-worker start-up without an LLM configured (real processes, real Redis)", () => {
  let fx: RedisFixture | undefined;
  let t: TestFleet | undefined;
  afterEach(async () => {
    await t?.cleanup();
    await fx?.cleanup();
    t = undefined;
    fx = undefined;
  });

  it("a generate worker stays up without a model: /readyz 503 with the reason, said once, /healthz 200", async () => {
    fx = await createRedisFixture("gen-start");
    const w = await spawnWorker(["--stage", "generate"], testEnv(fx.prefix, NO_LLM));
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { ready: boolean; error: string };
        expect(body.ready).toBe(false);
        expect(body.error).toMatch(/no LLM endpoint configured: set OPENAI_API_KEY/);
        expect(body.error).toMatch(/models\.python_code_generator\.base_url \(or OPENAI_BASE_URL\)/);
      }
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/healthz`)).status).toBe(200);
      expect(w.output().match(/no LLM endpoint configured/g)).toHaveLength(1);
      const line = JSON.parse(w.output().split("\n").find((l) => l.includes("no LLM endpoint configured")) ?? "{}") as Record<string, unknown>;
      expect(line).toMatchObject({ level: 50, code: "LLM_CONFIG", service: "worker" });
      expect(w.child.exitCode).toBeNull();
    } finally {
      expect(await w.stop()).toBe(0);
    }
  }, 60_000);

  it("--stage all without a model completes a run that brings its code, and fails a --task run with LLM_CONFIG", async () => {
    t = await startTestFleet({ tag: "gen-start", env: NO_LLM });
    const { fleet, env } = t;
    const w = await spawnWorker(["--stage", "all", "--mode", "read_only"], env);
    try {
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`)).status).toBe(503);
      const provided = await fleet.submit({ user_query: "q", task_objective: "provided code", code: "results = {'v': 6 * 7}" });
      const done = await waitForStatus((id) => fleet.get(id), provided.runId, ["completed", "failed"], 60_000);
      expect(done.status).toBe("completed");
      expect((await fleet.details(provided.runId))?.final?.result?.results.v).toBe(42);
      const task = await fleet.submit({ user_query: "q", task_objective: "needs a model" });
      const failed = await waitForStatus((id) => fleet.get(id), task.runId, ["completed", "failed"], 60_000);
      expect(failed.status).toBe("failed");
      expect(failed.error?.code).toBe("LLM_CONFIG");
    } finally {
      await fleet.close();
      expect(await w.stop()).toBe(0);
    }
  }, 90_000);

  it("analyze and execute workers start and report ready without an LLM", async () => {
    fx = await createRedisFixture("gen-start");
    const env = testEnv(fx.prefix, NO_LLM);
    const workers = await Promise.all([spawnWorker(["--stage", "analyze"], env), spawnWorker(["--stage", "execute", "--mode", "read_only"], env)]);
    try {
      for (const w of workers) expect((await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`)).status).toBe(200);
    } finally {
      expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);
    }
  }, 60_000);
});
