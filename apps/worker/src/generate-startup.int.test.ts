import { spawnWorker, testEnv } from "@pyfleet/fleet/testing";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";

/** No key and no base URL anywhere (the config's base_url comes from OPENAI_BASE_URL). */
const NO_LLM = { OPENAI_API_KEY: "", OPENAI_BASE_URL: "" };

describe("pyfleet-worker start-up without an LLM configured (real processes, real Redis)", () => {
  let fx: RedisFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  /** The spawn error of a worker expected to fail start-up (a worker that starts is stopped). */
  async function startFailure(args: string[]): Promise<Error | null> {
    fx = await createRedisFixture("gen-start");
    return spawnWorker(args, testEnv(fx.prefix, NO_LLM)).then(
      async (w) => {
        await w.stop("SIGKILL");
        return null;
      },
      (e: unknown) => e as Error,
    );
  }

  it("a generate worker exits 2 before it is ready, saying what to set", async () => {
    const err = await startFailure(["--stage", "generate"]);
    expect(err?.message).toMatch(/exited with 2 before it was ready/);
    expect(err?.message).toMatch(/cannot start: no LLM endpoint configured: set OPENAI_API_KEY/);
    expect(err?.message).toMatch(/models\.python_code_generator\.base_url \(or OPENAI_BASE_URL\)/);
  }, 60_000);

  it("so does --stage all, which serves generate too", async () => {
    const err = await startFailure(["--stage", "all", "--mode", "read_only"]);
    expect(err?.message).toMatch(/exited with 2 before it was ready[\s\S]*set OPENAI_API_KEY/);
  }, 60_000);

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
