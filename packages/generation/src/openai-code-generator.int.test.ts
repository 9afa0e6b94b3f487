import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPyfleetError, type PyfleetError, PythonExecutionRequestSchema } from "@pyfleet/core";
import { FakeOpenAIServer } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";
import { OpenAICodeGenerator } from "./openai-code-generator.js";
import type { GeneratorOptions } from "./options.js";

const F = "```";
const GOOD = 'import numpy as np\nresults = {"mean_current": float(np.mean(context.ARCHIVER.beam.values))}';

const request = PythonExecutionRequestSchema.parse({
  user_query: "What was the mean beam current?",
  task_objective: "Compute the mean of the archived beam current",
  expected_results: { mean_current: "float, mA" },
  capability_prompts: ["TASK: beam statistics", "CONTEXT ACCESS DESCRIPTION: context.ARCHIVER.beam"],
  capability_context_data: { ARCHIVER: { beam: { values: [10.5, 11.5, 12.5] } } },
  execution_folder_name: "beam_stats",
});

describe("OpenAICodeGenerator against a real HTTP server", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  async function setup(options: Partial<GeneratorOptions> = {}) {
    const server = await FakeOpenAIServer.start();
    cleanups.push(() => server.close());
    const gen = OpenAICodeGenerator.create(
      {
        base_url: server.url,
        model: "coder-7b",
        max_retries: 3,
        retry_backoff_ms: 5,
        retry_backoff_max_ms: 20,
        timeout_seconds: 5,
        save_prompts: false,
        ...options,
      },
      { OPENAI_API_KEY: "sk-int-test" },
    );
    return { server, gen };
  }

  const run = (gen: OpenAICodeGenerator, extra: Partial<Parameters<OpenAICodeGenerator["generate"]>[0]> = {}) =>
    gen.generate({ runId: "run-1", request, attempt: 1, errorChain: [], ...extra });

  async function failure(p: Promise<unknown>): Promise<PyfleetError> {
    const e = await p.then(
      () => {
        throw new Error("expected generate() to fail");
      },
      (err: unknown) => err,
    );
    if (!isPyfleetError(e)) throw e;
    return e;
  }

  it("sends the whole prompt as a streamed request and returns code plus usage", async () => {
    const { server, gen } = await setup({ temperature: 0.1, max_tokens: 777 });
    server.enqueue({ reply: `Here you go:\n${F}python\n${GOOD}\n${F}\n`, usage: { prompt_tokens: 321, completion_tokens: 45 } });
    const out = await run(gen);
    expect(out.code).toBe(`${GOOD}\n`);
    expect(out.usage).toMatchObject({ promptTokens: 321, completionTokens: 45, model: "coder-7b", finishReason: "stop" });
    expect(out.usage?.latencyMs).toBeGreaterThanOrEqual(0);

    const sent = server.chatRequests[0];
    expect(sent?.headers.authorization).toBe("Bearer sk-int-test");
    expect(sent?.body).toMatchObject({
      model: "coder-7b",
      temperature: 0.1,
      max_tokens: 777,
      stream: true,
      stream_options: { include_usage: true },
    });
    const [system, user] = server.messagesOf(0);
    expect(system?.role).toBe("system");
    expect(system?.content).toContain("module-level dict named `results`");
    expect(system?.content).toContain('"mean_current"');
    expect(system?.content).toContain("Never call plt.show()");
    expect(system?.content).toContain("context.json");
    expect(system?.content).toContain("PermissionError");
    expect(system?.content).toContain("No network access");
    expect(user?.role).toBe("user");
    expect(user?.content).toContain("TASK: beam statistics\n\nCONTEXT ACCESS DESCRIPTION: context.ARCHIVER.beam");
    expect(user?.content).toContain("What was the mean beam current?");
    expect(user?.content).toContain("Compute the mean of the archived beam current");
    expect(user?.content).toContain('"mean_current": "float, mA"');
    expect(user?.content).toContain("context.ARCHIVER.beam.values: list of 3 number, min 10.5, max 12.5");
  });

  it("streams batched chunks in order that add up to the reply", async () => {
    const { server, gen } = await setup({ stream_batch_chars: 40, stream_batch_ms: 60_000 });
    const body = Array.from({ length: 20 }, (_, i) => `x${i} = ${i} * 2`).join("\n");
    const reply = `${F}python\n${body}\nresults = {}\n${F}`;
    server.enqueue({ reply, chunkSize: 3 });
    const chunks: string[] = [];
    const out = await run(gen, { onChunk: (t) => chunks.push(t) });
    expect(chunks.join("")).toBe(reply);
    expect(chunks.length).toBeLessThan(Math.ceil(reply.length / 3) / 5);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(40);
    expect(out.code).toBe(`${body}\nresults = {}\n`);
    expect(chunks.join("")).toContain(out.code.trimEnd());
  });

  it("signals a restart when a retried request streams the reply again", async () => {
    const { server, gen } = await setup({ stream_batch_chars: 4, stream_batch_ms: 60_000 });
    const reply = `${F}python\n${GOOD}\n${F}`;
    server.enqueue({ reply, chunkSize: 4, dropAfterChunks: 5 }, { reply, chunkSize: 4 });
    const events: string[] = [];
    const out = await run(gen, { onChunk: (t) => events.push(t), onRestart: () => events.push("<restart>") });
    expect(events.filter((e) => e === "<restart>")).toHaveLength(1);
    const restartAt = events.indexOf("<restart>");
    expect(events.slice(0, restartAt).join("")).toBe(reply.slice(0, 20));
    expect(events.slice(restartAt + 1).join("")).toBe(reply);
    expect(out.code).toBe(`${GOOD}\n`);
  });

  it("talks to Azure OpenAI deployments when azure_api_version is set", async () => {
    const server = await FakeOpenAIServer.start();
    cleanups.push(() => server.close());
    const gen = OpenAICodeGenerator.create(
      { base_url: server.url.replace(/\/v1$/, ""), model: "gpt4o-deploy", azure_api_version: "2024-10-21", save_prompts: false },
      { OPENAI_API_KEY: "azure-key" },
    );
    expect(gen.describe()).toMatchObject({ model: "gpt4o-deploy", azure: true });
    server.enqueue({ reply: `${F}python\n${GOOD}\n${F}` });
    const out = await run(gen);
    expect(out.code).toBe(`${GOOD}\n`);
    const sent = server.chatRequests[0];
    expect(sent?.path).toBe("/openai/deployments/gpt4o-deploy/chat/completions");
    expect(sent?.query).toBe("api-version=2024-10-21");
    expect(sent?.headers["api-key"]).toBe("azure-key");
  });

  it("retries 429 and then succeeds", async () => {
    const { server, gen } = await setup();
    server.enqueue({ fail: "status", status: 429, message: "slow down" }, { reply: `${F}python\n${GOOD}\n${F}` });
    const out = await run(gen);
    expect(out.code).toBe(`${GOOD}\n`);
    expect(server.chatRequests).toHaveLength(2);
  });

  it("retries a dropped connection, a reset mid-stream, a stream cut without finish_reason and a hang past the timeout", async () => {
    const { server, gen } = await setup({ timeout_seconds: 0.3, max_retries: 4 });
    server.enqueue(
      { fail: "drop" },
      { reply: `${F}python\n${GOOD}\n${F}`, chunkSize: 4, dropAfterChunks: 3 },
      { reply: `${F}python\n${GOOD}\n${F}`, chunkSize: 4, endAfterChunks: 5 },
      { fail: "hang", ms: 3_000 },
      { reply: `${F}python\n${GOOD}\n${F}` },
    );
    const t0 = Date.now();
    const out = await run(gen);
    expect(out.code).toBe(`${GOOD}\n`);
    expect(server.chatRequests).toHaveLength(5);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("500 three times → LLM_UNAVAILABLE (infrastructure, retryable) naming the endpoint", async () => {
    const { server, gen } = await setup({ max_retries: 2 });
    server.enqueue(
      { fail: "status", status: 500, message: "boom" },
      { fail: "status", status: 502, message: "boom" },
      { fail: "status", status: 503, message: "overloaded" },
      { reply: "never reached" },
    );
    const e = await failure(run(gen));
    expect(e.code).toBe("LLM_UNAVAILABLE");
    expect(e.category).toBe("infrastructure");
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(server.url);
    expect(e.message).toContain("overloaded");
    expect(e.details).toMatchObject({ tries: 3, lastStatus: 503, baseUrl: server.url });
    expect(server.chatRequests).toHaveLength(3);
  });

  it("401 → LLM_CONFIG with the server's message and the base URL, not retried", async () => {
    const { server, gen } = await setup();
    server.enqueue({ fail: "status", status: 401, message: "Incorrect API key provided" });
    const e = await failure(run(gen));
    expect(e.code).toBe("LLM_CONFIG");
    expect(e.category).toBe("configuration");
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(server.url);
    expect(e.message).toContain("Incorrect API key provided");
    expect(e.details).toMatchObject({ status: 401, baseUrl: server.url });
    expect(server.chatRequests).toHaveLength(1);
  });

  it("400 and 404 are configuration errors too", async () => {
    const { server, gen } = await setup();
    server.enqueue(
      { fail: "status", status: 400, message: "max_tokens is too large" },
      { fail: "status", status: 404, message: "model coder-7b does not exist" },
    );
    const e400 = await failure(run(gen));
    expect(e400.code).toBe("LLM_CONFIG");
    expect(e400.message).toContain("max_tokens is too large");
    const e404 = await failure(run(gen));
    expect(e404.code).toBe("LLM_CONFIG");
    expect(e404.message).toContain("does not exist");
    expect(e404.message).toContain("base_url");
  });

  it("a reply cut off by length is retried once with doubled max_tokens, then REPLY_TRUNCATED", async () => {
    const { server, gen } = await setup({ max_tokens: 100 });
    server.enqueue(
      { reply: `${F}python\nx = 1\n`, finishReason: "length", usage: { prompt_tokens: 10, completion_tokens: 100 } },
      { reply: `${F}python\n${GOOD}\n${F}`, usage: { prompt_tokens: 10, completion_tokens: 30 } },
    );
    const ok = await run(gen);
    expect(ok.code).toBe(`${GOOD}\n`);
    expect(ok.usage).toMatchObject({ promptTokens: 20, completionTokens: 130, finishReason: "stop" });
    expect(server.chatRequests.map((r) => (r.body as { max_tokens: number }).max_tokens)).toEqual([100, 200]);

    server.enqueue(
      { reply: `${F}python\nx = 1\n`, finishReason: "length" },
      { reply: `${F}python\nx = 1\ny = 2\n`, finishReason: "length" },
    );
    const e = await failure(run(gen));
    expect(e.code).toBe("REPLY_TRUNCATED");
    expect(e.category).toBe("code");
    expect(e.details).toMatchObject({ maxTokens: [100, 200] });
    expect(server.chatRequests).toHaveLength(4);
  });

  it("a server that refuses the doubled max_tokens with 400 yields REPLY_TRUNCATED, not a config error", async () => {
    const { server, gen } = await setup({ max_tokens: 100 });
    server.enqueue(
      { reply: `${F}python\nx = 1\n`, finishReason: "length" },
      { fail: "status", status: 400, message: "max_tokens exceeds the context window" },
    );
    const e = await failure(run(gen));
    expect(e.code).toBe("REPLY_TRUNCATED");
    expect(e.message).toContain("refused max_tokens=200 (max_tokens exceeds the context window)");
    expect(e.details).toMatchObject({ maxTokens: [100, 200] });
  });

  it("a reply without code → NO_CODE_IN_REPLY with the reply excerpt", async () => {
    const { server, gen } = await setup();
    server.enqueue({ reply: "I am unable to help with accelerator operations." });
    const e = await failure(run(gen));
    expect(e.code).toBe("NO_CODE_IN_REPLY");
    expect(e.category).toBe("code");
    expect(e.details?.excerpt).toBe("I am unable to help with accelerator operations.");
    expect(e.details?.usage).toMatchObject({ model: "coder-7b" });
  });

  it("saves prompt.json and reply.md in the attempt folder when save_prompts is on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pyfleet-gen-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { server, gen } = await setup({ save_prompts: true });
    const reply = `Sure!\n${F}python\n${GOOD}\n${F}\n`;
    server.enqueue({ reply });
    await run(gen, { attemptDir: join(dir, "attempts", "01"), attempt: 1 });
    const saved = JSON.parse(await readFile(join(dir, "attempts", "01", "prompt.json"), "utf8"));
    expect(saved).toMatchObject({ runId: "run-1", attempt: 1, model: "coder-7b", baseUrl: server.url, maxTokens: [4096] });
    expect(saved.messages).toEqual(server.messagesOf(0));
    expect(await readFile(join(dir, "attempts", "01", "reply.md"), "utf8")).toBe(reply);
  });

  it("a cancelled signal stops the call with CANCELLED", async () => {
    const { server, gen } = await setup();
    server.enqueue({ fail: "hang", ms: 3_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await failure(run(gen, { signal: controller.signal }));
    expect(e.code).toBe("CANCELLED");
    expect(server.chatRequests).toHaveLength(1);
  });
});
