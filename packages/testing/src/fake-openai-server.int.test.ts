import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { FakeOpenAIServer } from "./fake-openai-server.js";

describe("FakeOpenAIServer with the real openai client", () => {
  const servers: FakeOpenAIServer[] = [];
  const start = async () => {
    const s = await FakeOpenAIServer.start({ models: ["m1", "m2"] });
    servers.push(s);
    return s;
  };
  const client = (s: FakeOpenAIServer, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
    new OpenAI({ baseURL: s.url, apiKey: "sk-test", maxRetries: 0, ...extra });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("answers a normal completion and records the request", async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    s.enqueue({ reply: "hello there", usage: { prompt_tokens: 11, completion_tokens: 3 } });
    const r = await client(s).chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(r.choices[0]?.message.content).toBe("hello there");
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(s.chatRequests).toHaveLength(1);
    expect(s.chatRequests[0]?.headers.authorization).toBe("Bearer sk-test");
    expect(s.messagesOf(0)).toEqual([{ role: "user", content: "hi" }]);
    expect(s.pending).toBe(0);
  });

  it("streams SSE chunks that add up to the reply, with usage in the last chunk", async () => {
    const s = await start();
    const reply = "print('streamed')\n".repeat(5);
    s.enqueue({ reply, chunkSize: 7, finishReason: "length", usage: { prompt_tokens: 5, completion_tokens: 9 } });
    const stream = await client(s).chat.completions.create({
      model: "m2",
      messages: [{ role: "user", content: "go" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const parts: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (c?.delta.content) parts.push(c.delta.content);
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.usage) usage = chunk.usage;
      expect(chunk.model).toBe("m2");
    }
    expect(parts.join("")).toBe(reply);
    expect(parts.length).toBe(Math.ceil(reply.length / 7));
    expect(finish).toBe("length");
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 9 });

    s.enqueue({ reply: "abcdefghij", chunkSize: 2, endAfterChunks: 2 });
    const cut = await client(s).chat.completions.create({ model: "m2", messages: [], stream: true });
    const got: string[] = [];
    const finishes: unknown[] = [];
    for await (const chunk of cut) {
      if (chunk.choices[0]?.delta.content) got.push(chunk.choices[0].delta.content);
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    expect(got).toEqual(["ab", "cd"]);
    expect(finishes).toEqual([]);
  });

  it("lists models and scripts failures: status with body, dropped connection, hang past the timeout", async () => {
    const s = await start();
    const models = await client(s).models.list();
    expect(models.data.map((m) => m.id)).toEqual(["m1", "m2"]);

    s.enqueue({ fail: "status", status: 401, message: "bad key" }, { fail: "drop" }, { fail: "hang", ms: 5_000 });
    const ask = (c: OpenAI) => c.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "x" }] });
    const e401 = await ask(client(s)).catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((e401 as Error).message).toContain("bad key");
    await expect(ask(client(s))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const t0 = Date.now();
    await expect(ask(client(s, { timeout: 200 }))).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // An exhausted script is an explicit 500, not a hang.
    await expect(ask(client(s))).rejects.toMatchObject({ status: 500 });
    expect(s.chatRequests).toHaveLength(4);
  });

  it("close() is idempotent", async () => {
    const s = await start();
    await s.close();
    await s.close();
    await expect(fetch(`${s.url}/models`)).rejects.toThrow();
  });
});
