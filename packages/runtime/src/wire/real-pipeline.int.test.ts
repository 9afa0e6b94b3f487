import { silentLogger } from "@pyfleet/core";
import { createFleet, type Fleet } from "@pyfleet/fleet";
import { createRedisFixture, FakeOpenAIServer, type RedisFixture } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";
import { testConfig, testEnv } from "../testing/test-config.js";
import { waitForStatus } from "../testing/wait-for.js";
import { realPipelineBuilder } from "./real-pipeline.js";

describe("realPipelineBuilder (real Redis, fake OpenAI server, local Python)", () => {
  let fx: RedisFixture | undefined;
  let llm: FakeOpenAIServer | undefined;
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    await llm?.close();
    await fx?.cleanup();
    fleet = undefined;
    llm = undefined;
    fx = undefined;
  });

  it("passes analysis.rules to the generator: a rule set to allow is lifted in the system prompt the LLM gets", async () => {
    fx = await createRedisFixture("wire-rules");
    llm = await FakeOpenAIServer.start();
    llm.enqueue({ reply: "```python\nresults = {'answer': 42}\n```" });
    const env = testEnv(fx.prefix, { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "test-key" });
    const config = testConfig(env);
    config.analysis.rules = { network: "allow" };
    ({ fleet } = await createFleet(config, {
      stages: ["generate", "analyze", "execute"],
      modes: ["read_only"],
      logger: silentLogger(),
      build: realPipelineBuilder(env),
    }));
    const { runId } = await fleet.submit({ user_query: "answer", task_objective: "Return the answer", expected_results: { answer: "int" } });
    const done = await waitForStatus((id) => fleet!.get(id), runId, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    const system = llm.messagesOf(0).find((m) => m.role === "system")?.content ?? "";
    expect(system).toContain("Allowed in this deployment when the task needs it: network access (sockets, requests, urllib, http)");
    expect(system).not.toContain("no network access");
    // Rules left at their default stay forbidden.
    expect(system).toContain("No subprocesses or shell");
  });

  it("serving generate: a missing key and base URL fail the build with LLM_CONFIG naming what to set", async () => {
    fx = await createRedisFixture("wire-llm");
    const env = testEnv(fx.prefix, { OPENAI_BASE_URL: "", OPENAI_API_KEY: "" });
    const config = testConfig(env);
    config.models.python_code_generator.base_url = "";
    const build = realPipelineBuilder(env, { servesGenerate: true });
    const err = await createFleet(config, { stages: ["generate"], logger: silentLogger(), build }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "LLM_CONFIG", category: "configuration" });
    expect((err as Error).message).toContain("set OPENAI_API_KEY");
    expect((err as Error).message).toContain("models.python_code_generator.base_url");
    // Without the generate stage the same environment builds (provided-code runs need no model).
    ({ fleet } = await createFleet(config, { stages: ["analyze"], logger: silentLogger(), build: realPipelineBuilder(env) }));
    expect(fleet.queues).toEqual(["analyze"]);
  });
});
