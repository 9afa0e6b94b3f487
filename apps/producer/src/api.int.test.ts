import { createHash } from "node:crypto";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { PyfleetClient } from "@pyfleet/client";
import { RedisKeys, type RunEvent, silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import type { RedisFixture } from "@pyfleet/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducerServer } from "./server.js";

const TOKEN = "producer-test-token";
const body = (extra: Record<string, unknown> = {}) => ({ user_query: "q", task_objective: "t", code: "results = {'v': 1}", ...extra });

describe("producer API", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let fleet: Fleet;
  let open: FastifyInstance;
  let authed: FastifyInstance;
  /** Same as `open` with a body limit that lets hostile nesting through to validation. */
  let roomy: FastifyInstance;
  let url: string;
  let client: PyfleetClient;

  beforeAll(async () => {
    t = await startTestFleet({
      tag: "api",
      stages: ["generate", "analyze", "execute"],
      modes: ["read_only"],
      configure: (config) => {
        config.limits.max_code_bytes = 2000;
        config.execution.allowed_methods = ["local", "container"];
      },
    });
    ({ fleet, redis: fx } = t);
    const deps = { fleet, logger: silentLogger(), bodyLimit: 8192, maxCodeBytes: 2000, maxContextBytes: 4000 };
    open = createProducerServer({ ...deps, tokens: [] });
    roomy = createProducerServer({ ...deps, tokens: [], bodyLimit: 4 * 1024 * 1024 });
    authed = createProducerServer({ ...deps, tokens: [{ sha256: createHash("sha256").update(TOKEN).digest("hex"), identity: "backend-a" }] });
    await open.listen({ host: "127.0.0.1", port: 0 });
    const addr = open.server.address();
    url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    client = new PyfleetClient({ baseUrl: url });
  });
  afterAll(async () => {
    await open?.close();
    await authed?.close();
    await roomy?.close();
    await t?.cleanup();
  });

  const post = (payload: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
    open.inject({ method: "POST", url: "/v1/runs", payload, headers });

  it.each([
    ["malformed JSON", '{"user_query": ', 400, ["(body)"]],
    ["missing fields", "{}", 400, ["user_query", "task_objective"]],
    ["wrong types", JSON.stringify({ user_query: 1, task_objective: "t", retries: "3", execution_method: "gpu" }), 400, ["user_query", "retries", "execution_method"]],
    ["unknown field", JSON.stringify(body({ approved_code: "x" })), 400, ["(root)"]],
    ["oversized code", JSON.stringify(body({ code: "x".repeat(3000) })), 413, ["code"]],
    ["body over the limit", JSON.stringify(body({ capability_context_data: { blob: "y".repeat(9000) } })), 413, ["(body)"]],
    ["a JSON array", "[1,2]", 400, ["(root)"]],
  ])("answers %s with its status and the error paths", async (_name, payload, status, paths) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(status);
    const err = res.json().error;
    expect(typeof err.code).toBe("string");
    expect(typeof err.message).toBe("string");
    const got = err.issues.map((i: { path: string }) => i.path);
    for (const p of paths) expect(got).toContain(p);
  });

  /** Every run id in the store (the tests of this file run one after another). */
  const allRunIds = async () => (await fleet.list({ limit: 500 })).runs.map((r) => r.runId).sort();

  it.each([
    ["capability_context_data nested 5000 objects deep", `,"capability_context_data":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`, "capability_context_data"],
    ["capability_context_data nested 200000 arrays deep", `,"capability_context_data":{"a":${"[".repeat(200_000)}${"]".repeat(200_000)}}`, "capability_context_data"],
    ["expected_results nested 10000 arrays deep", `,"expected_results":{"a":${"[".repeat(10_000)}${"]".repeat(10_000)}}`, "expected_results"],
    ["capability_context_data one level past limits.max_json_depth", `,"capability_context_data":${'{"a":'.repeat(65)}1${"}".repeat(65)}`, "capability_context_data"],
    ["a disallowed execution_method", ',"execution_method":"docker"', "execution_method"],
  ])("answers %s with a 400 naming the field and stores no run", async (_name, field, path) => {
    const before = await allRunIds();
    const payload = JSON.stringify(body()).replace(/}$/, `${field}}`);
    const res = await roomy.inject({ method: "POST", url: "/v1/runs", payload, headers: { "content-type": "application/json" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("VALIDATION_FAILED");
    expect(res.json().error.issues.map((i: { path: string }) => i.path)).toEqual([path]);
    expect(await allRunIds()).toEqual(before);
  });

  it("enforces execution.allowed_methods at submit, in the body and in the query, naming the allowed methods", async () => {
    const before = await allRunIds();
    for (const url of ["/v1/runs?execution_method=docker", "/v1/runs?execution_method=gpu"]) {
      const res = await open.inject({ method: "POST", url, payload: body(), headers: { "content-type": "application/json" } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.issues.map((i: { path: string }) => i.path), url).toEqual(["execution_method"]);
    }
    const viaBody = (await post(JSON.stringify(body({ execution_method: "docker" })))).json().error;
    expect(viaBody.issues[0].message).toContain("local, container");
    await expect(fleet.submit(body(), { executionMethod: "docker" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [{ path: "execution_method", message: expect.stringContaining("local, container") }],
    });
    expect(await allRunIds()).toEqual(before);
    const allowed = await open.inject({ method: "POST", url: "/v1/runs?execution_method=local", payload: body(), headers: { "content-type": "application/json" } });
    expect(allowed.statusCode).toBe(202);
    expect((await client.wait(allowed.json().runId, { timeoutMs: 30_000 })).status).toBe("completed");
  });

  it("answers a badly percent-encoded path with its own 400 error shape, not Fastify's", async () => {
    const run = (await fleet.list({ limit: 1 })).runs[0]?.runId ?? "nope";
    for (const u of ["/v1/runs/%ff", "/v1/runs/%E0%A4%A", `/v1/runs/${run}/artifacts/%c0%ae/x`, "/v1/runs/%ff/cancel"]) {
      const res = await open.inject({ method: u.endsWith("/cancel") ? "POST" : "GET", url: u });
      expect(res.statusCode, u).toBe(400);
      expect(res.json(), u).toEqual({ error: { code: "VALIDATION_FAILED", message: expect.any(String), issues: [{ path: "(url)", message: expect.any(String) }] } });
    }
  });

  it("prints no Fastify deprecation warning (request logging is off through LogController)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on("warning", onWarning);
    try {
      const app = createProducerServer({ fleet, logger: silentLogger(), tokens: [], bodyLimit: 1024, maxCodeBytes: 100, maxContextBytes: 100 });
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      await app.close();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((c) => c.startsWith("FSTDEP"))).toEqual([]);
  });

  it("answers a non-JSON content type with 415, never 500", async () => {
    const res = await post("user_query=x", { "content-type": "text/plain" });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("VALIDATION_FAILED");
  });

  it("404s unknown runs and routes; refuses artifact paths that leave the run folder", async () => {
    for (const u of ["/v1/runs/nope", "/v1/runs/nope/events", "/v1/runs/nope/notebook", "/v1/nothing"]) {
      const res = await open.inject({ method: "GET", url: u });
      expect(res.statusCode, u).toBe(404);
      expect(res.json().error.code).toBe("NOT_FOUND");
    }
    expect((await open.inject({ method: "POST", url: "/v1/runs/nope/cancel" })).statusCode).toBe(404);
    const run = await client.submit(body({ code: "results = {'v': 2}" }));
    await client.wait(run.runId, { timeoutMs: 30_000 });
    for (const p of ["..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "a%2F..%2F..%2Fx"]) {
      const res = await open.inject({ method: "GET", url: `/v1/runs/${run.runId}/artifacts/${p}` });
      expect(res.statusCode, p).toBe(400);
      expect(res.json().error.issues[0].path).toBe("path");
    }
    expect((await open.inject({ method: "GET", url: `/v1/runs/${run.runId}/artifacts/results.json` })).statusCode).toBe(200);
    const nb = await open.inject({ method: "GET", url: `/v1/runs/${run.runId}/notebook` });
    expect(nb.statusCode).toBe(200);
    expect(nb.json().nbformat).toBe(4);
  });

  it("requires a valid bearer token when tokens are configured", async () => {
    const call = (headers: Record<string, string>) =>
      authed.inject({ method: "POST", url: "/v1/runs", payload: body(), headers: { "content-type": "application/json", ...headers } });
    expect((await call({})).statusCode).toBe(401);
    expect((await call({ authorization: "Bearer wrong" })).json().error.code).toBe("UNAUTHORIZED");
    const ok = await call({ authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(202);
    expect((await fleet.get(ok.json().runId))?.requester).toBe("backend-a");
    expect((await authed.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("serves /openapi.json and /metrics over HTTP without a token, even when tokens are configured", async () => {
    const spec = await fetch(`${url}/openapi.json`);
    expect(spec.status).toBe(200);
    expect(spec.headers.get("content-type")).toMatch(/application\/json/);
    const doc = (await spec.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/events", "/v1/runs/{id}/cancel"]));
    expect(Object.keys(doc.paths["/v1/runs"] ?? {}).sort()).toEqual(["get", "post"]);

    // One accepted run and one 404 so both counters have samples.
    expect((await post(JSON.stringify(body()))).statusCode).toBe(202);
    expect((await fetch(`${url}/v1/runs/no-such-run`)).status).toBe(404);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toContain("# TYPE pyfleet_runs_submitted_total counter");
    expect(Number(/^pyfleet_runs_submitted_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^pyfleet_http_responses_total\{route="\/v1\/runs\/:id",status="404"\} [1-9]/m);
    expect(text).toContain("process_cpu_seconds_total");

    for (const path of ["/openapi.json", "/metrics"]) expect((await authed.inject({ method: "GET", url: path })).statusCode).toBe(200);
  });

  it("accepts a run with 202, refuses its thread twice with 409, lists and filters runs", async () => {
    const thread = `thr-${Date.now()}`;
    const first = await post(JSON.stringify(body({ thread_id: thread })));
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ threadId: thread, status: "queued" });
    const again = await post(JSON.stringify(body({ thread_id: thread })));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.details.runId).toBe(first.json().runId);
    await client.wait(first.json().runId, { timeoutMs: 30_000 });
    const page = await client.list({ status: "completed", limit: 1 });
    expect(page.runs).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const next = await client.list({ status: "completed", limit: 50, cursor: page.nextCursor! });
    expect(next.runs.map((r) => r.runId)).not.toContain(page.runs[0]!.runId);
    expect((await open.inject({ method: "GET", url: "/v1/runs?status=bogus" })).statusCode).toBe(400);
  });

  it("refuses a thread whose checkpoint outlived its run record with 409, storing no run", async () => {
    const thread = `thr-old-${Date.now()}`;
    const first = (await post(JSON.stringify(body({ thread_id: thread })))).json();
    await client.wait(first.runId, { timeoutMs: 30_000 });
    // The record's thread index expires first when runs.retention_seconds < checkpointer.retention_seconds.
    await fx.redis.del(new RedisKeys(fx.prefix).threadRun(thread));
    const before = await allRunIds();
    const again = await post(JSON.stringify(body({ thread_id: thread })));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.details.runId).toBe(first.runId);
    expect(await allRunIds()).toEqual(before);
  });

  it("streams every event in order over SSE and resumes after a disconnect with Last-Event-ID", async () => {
    const run = await client.submit(body({ code: "for i in range(3):\n    print('line', i)\nresults = {'n': 3}" }));
    const all: RunEvent[] = [];
    for await (const e of client.events(run.runId)) all.push(e);
    expect(all[0]?.data.status).toBe("queued");
    expect(all.at(-1)?.type).toBe("finished");
    const ids = all.map((e) => e.id!);
    expect([...ids].sort(compareIds)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Disconnect after three events, then resume from the third id: nothing lost, nothing repeated.
    const ac = new AbortController();
    const head: RunEvent[] = [];
    const res = await fetch(`${url}/v1/runs/${run.runId}/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let buf = "";
    while (head.length < 3) {
      const { value } = await reader.read();
      buf += new TextDecoder().decode(value);
      const blocks = buf.split("\n\n");
      buf = blocks.pop() ?? "";
      for (const b of blocks) {
        const data = b.split("\n").find((l) => l.startsWith("data: "));
        if (data && head.length < 3) head.push(JSON.parse(data.slice(6)));
      }
    }
    ac.abort();
    const tail: RunEvent[] = [];
    for await (const e of client.events(run.runId, { lastEventId: head[2]!.id! })) tail.push(e);
    expect([...head, ...tail].map((e) => e.id)).toEqual(ids);
  });

  it("SDK: events() reconnects after a dropped connection and delivers every event once, in order", async () => {
    const port = Number(new URL(url).port);
    const sockets = new Set<Socket>();
    const proxy = createServer((down) => {
      const up = connect(port, "127.0.0.1");
      for (const s of [down, up]) {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    const proxied = new PyfleetClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    try {
      const run = await client.submit(body({ code: "import time\nfor i in range(6):\n    print('tick', i, flush=True)\n    time.sleep(0.15)\nresults = {}" }));
      const got: RunEvent[] = [];
      let dropped = false;
      for await (const e of proxied.events(run.runId)) {
        got.push(e);
        if (!dropped && got.length === 3) {
          dropped = true;
          for (const s of sockets) s.destroy();
        }
      }
      expect(dropped).toBe(true);
      const all: RunEvent[] = [];
      for await (const e of client.events(run.runId)) all.push(e);
      expect(got.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(got.at(-1)?.type).toBe("finished");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it("SDK: wait resolves with results, rejects typed errors for unknown runs and timeouts", async () => {
    const run = await client.submit(body({ code: "results = {'sum': sum(range(10))}" }));
    const done = await client.wait(run.runId, { timeoutMs: 30_000 });
    expect(done.status).toBe("completed");
    expect(done.final?.result?.results.sum).toBe(45);
    await expect(client.get("nope")).rejects.toMatchObject({ name: "PyfleetError", code: "NOT_FOUND" });
    const slow = await client.submit(body({ code: "import time\ntime.sleep(5)\nresults = {}" }));
    await expect(client.wait(slow.runId, { timeoutMs: 300 })).rejects.toMatchObject({ code: "WAIT_TIMEOUT" });
    expect((await client.cancel(slow.runId)).runId).toBe(slow.runId);
    await expect.poll(async () => (await client.get(slow.runId)).status, { timeout: 10_000 }).toBe("cancelled");
  });
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
