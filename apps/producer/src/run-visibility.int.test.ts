import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger, hashToken, type PyfleetConfig, silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProducer, startProducer } from "./main.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const TOKENS = { alice: "alice-submit-token", bob: "bob-submit-token", vera: "vera-viewer-token", ann: "ann-approver-token", root: "root-admin-token" };
const body = JSON.stringify({ user_query: "q", task_objective: "t", code: "results = {}" });

describe("per-token run visibility and cancel (real Redis, real producer)", () => {
  let t: TestFleet;
  let env: Record<string, string>;
  let config: PyfleetConfig;
  let fleet: Fleet;
  let producer: RunningProducer;
  let runA: string;
  let runB: string;

  const call = async (token: keyof typeof TOKENS | null, method: string, path: string, payload?: string) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${TOKENS[token]}` } : {};
    if (payload) headers["content-type"] = "application/json";
    const res = await fetch(`${producer.url}${path}`, { method, headers, ...(payload ? { body: payload } : {}) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
  };

  beforeAll(async () => {
    // The fleet serves no queue: runs stay queued until cancelled.
    t = await startTestFleet({
      tag: "visibility",
      configure: (c) => {
        c.producer.host = "127.0.0.1";
        c.producer.allow_anonymous = false;
        c.producer.tokens = [
          { sha256: hashToken(TOKENS.alice), identity: "alice" },
          { sha256: hashToken(TOKENS.bob), identity: "bob" },
        ];
        c.approver.tokens = [
          { sha256: hashToken(TOKENS.vera), identity: "vera", roles: ["viewer"] },
          { sha256: hashToken(TOKENS.ann), identity: "ann", roles: ["approver"] },
          { sha256: hashToken(TOKENS.root), identity: "root", roles: ["admin"] },
        ];
      },
    });
    ({ fleet, env, config } = t);
    producer = await startProducer({ config, logger: silentLogger(), env, fleet, port: 0 });
    runA = (await call("alice", "POST", "/v1/runs", body)).body.runId;
    runB = (await call("bob", "POST", "/v1/runs", body)).body.runId;
  });
  afterAll(async () => {
    await producer?.close();
    await t?.cleanup();
  });

  it("a submitter token lists and reads only its own runs; another's run is a 404", async () => {
    const own = await call("alice", "GET", "/v1/runs");
    expect(own.body.runs.map((r: { runId: string }) => r.runId)).toEqual([runA]);
    const filtered = await call("alice", "GET", "/v1/runs?status=queued&limit=10");
    expect(filtered.body.runs.map((r: { runId: string }) => r.runId)).toEqual([runA]);
    const other = await call("alice", "GET", "/v1/runs?requester=bob");
    expect(other.status).toBe(403);
    expect(other.body.error.issues[0].path).toBe("requester");
    expect((await call("alice", "GET", `/v1/runs/${runA}`)).status).toBe(200);
    for (const path of [`/v1/runs/${runB}`, `/v1/runs/${runB}/events?follow=0`, `/v1/runs/${runB}/notebook`, `/v1/runs/${runB}/artifacts/results.json`]) {
      const res = await call("alice", "GET", path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe("NOT_FOUND");
    }
  });

  it("viewer, approver and admin tokens see every run", async () => {
    for (const who of ["vera", "ann", "root"] as const) {
      const list = await call(who, "GET", "/v1/runs");
      expect(list.body.runs.map((r: { runId: string }) => r.runId).sort(), who).toEqual([runA, runB].sort());
      expect((await call(who, "GET", `/v1/runs/${runA}`)).status, who).toBe(200);
    }
  });

  it("only the submitter or an admin cancels a run", async () => {
    expect((await call("alice", "POST", `/v1/runs/${runB}/cancel`)).status).toBe(404);
    expect((await call("vera", "POST", `/v1/runs/${runB}/cancel`)).status).toBe(403);
    const approver = await call("ann", "POST", `/v1/runs/${runB}/cancel`);
    expect(approver.status).toBe(403);
    expect((await fleet.get(runB))?.status).toBe("queued");
    expect((await call("bob", "POST", `/v1/runs/${runB}/cancel`)).body).toEqual({ runId: runB, status: "cancelled" });
    expect((await call("root", "POST", `/v1/runs/${runA}/cancel`)).body).toEqual({ runId: runA, status: "cancelled" });
    expect((await call(null, "POST", `/v1/runs/${runA}/cancel`)).status).toBe(401);
  });

  it("refuses to start without tokens unless producer.allow_anonymous is true, and warns when it is", async () => {
    const open = structuredClone(config);
    open.producer.tokens = [];
    open.producer.allow_anonymous = false;
    await expect(startProducer({ config: open, logger: silentLogger(), env, fleet, port: 0 })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      issues: [{ path: "producer.tokens" }],
    });
    open.producer.allow_anonymous = true;
    const lines: string[] = [];
    const logger = createLogger({ service: "producer", level: "warn", destination: new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }) });
    const anon = await startProducer({ config: open, logger, env, fleet, port: 0 });
    try {
      expect(lines.join("")).toContain("producer.allow_anonymous is true");
      expect((await fetch(`${anon.url}/v1/runs`)).status).toBe(200);
    } finally {
      await anon.close();
    }
  });

  it("pyfleet-producer without tokens exits 2 naming producer.tokens", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--port", "0"], { env: { ...env, PYFLEET_ALLOW_ANONYMOUS: "false" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(out).toMatch(/pyfleet-producer: producer\.tokens is empty[\s\S]*producer\.tokens: no tokens/);
  });
});
