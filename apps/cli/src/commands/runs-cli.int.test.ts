import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { type RunningProducer, startProducer } from "@pyfleet/producer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main.js";

describe("pyfleet submit / status / logs / runs / cancel against a producer", () => {
  let t: TestFleet;
  let fleet: Fleet;
  let producer: RunningProducer;
  let artifacts: string;
  const dir = mkdtempSync(join(tmpdir(), "pyfleet-cli-"));

  beforeAll(async () => {
    t = await startTestFleet({ tag: "cli", stages: ["generate", "analyze", "execute"], modes: ["read_only"] });
    const { env, config } = t;
    ({ fleet } = t);
    artifacts = env.PYFLEET_ARTIFACTS as string;
    producer = await startProducer({ config, logger: silentLogger(), env, fleet, port: 0 });
  });
  afterAll(async () => {
    await producer?.close();
    await t?.cleanup();
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: { PYFLEET_URL: producer.url }, cwd: dir });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  it("submits provided code, waits with progress lines and prints the result summary", async () => {
    writeFileSync(join(dir, "calc.py"), "print('hello')\nresults = {'x': 40 + 2}\n");
    const r = await cli("submit", "--code", "calc.py", "--expected", "x=int", "--wait");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\] executing/);
    expect(r.out).toMatch(/: completed \(read_only\), 1 attempt/);
    expect(r.out).toMatch(/results\.x = 42/);
    // --wait shows what the code printed, and files as URLs of the producer, never server paths.
    expect(r.out).toMatch(/ {2}stdout:\n {4}hello/);
    const runId = /submitted run (\S+)/.exec(r.out)![1]!;
    expect(r.out).toContain(`notebook: ${producer.url}/v1/runs/${runId}/notebook`);
    expect(r.out).not.toContain(artifacts);
    expect((await fetch(`${producer.url}/v1/runs/${runId}/notebook`)).status).toBe(200);
    const status = await cli("status", runId);
    expect(status.out).toMatch(/completed/);
    const logs = await cli("logs", runId);
    expect(logs.out).toMatch(/stdout: hello/);
    expect(logs.out).toMatch(/finished: completed/);
    const runs = await cli("runs", "--status", "completed");
    expect(runs.out).toContain(runId);
    const json = JSON.parse((await cli("status", runId, "--json")).out);
    expect(json.final.result.results.x).toBe(42);
  });

  it("ends provided code that fails with its own traceback (0 retries by default), not in generation without a model", async () => {
    writeFileSync(join(dir, "div.py"), "print('before')\nratio = 1 / 0\n");
    const r = await cli("submit", "--code", "div.py", "--wait");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/: failed \(read_only\), 1 attempt/);
    expect(r.out).toMatch(/error: RUNTIME_ERROR: .*ZeroDivisionError/);
    expect(r.out).toMatch(/traceback:\n[\s\S]*ratio = 1 \/ 0[\s\S]*ZeroDivisionError: division by zero/);
    expect(r.out).not.toContain("LLM_CONFIG");
    expect((await cli("submit", "--code", "div.py", "--retries", "x")).err).toContain("--retries must be a whole number");
  });

  it("pyfleet logs prints whole messages (a long error is not cut)", async () => {
    const long = "v".repeat(400);
    writeFileSync(join(dir, "long.py"), `raise ValueError('${long}')\n`);
    const r = await cli("submit", "--code", "long.py", "--wait");
    const runId = /submitted run (\S+)/.exec(r.out)![1]!;
    const logs = await cli("logs", runId);
    expect(logs.out).toContain(long);
  });

  it("submit --follow prints events as they happen and --context reaches the code; logs --follow streams to the end", async () => {
    writeFileSync(join(dir, "ctx.json"), JSON.stringify({ beam: { current_mA: 401.5 } }));
    writeFileSync(join(dir, "ctx.py"), "import time\nprint('current', context.beam.current_mA)\ntime.sleep(0.5)\nresults = {'twice': context.beam.current_mA * 2}\n");
    const r = await cli("submit", "--code", "ctx.py", "--context", "ctx.json", "--follow");
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    // event lines in order: status changes, the output line, the end; then the summary
    expect(at(/status: analyzing/)).toBeGreaterThan(0);
    expect(at(/status: executing/)).toBeGreaterThan(at(/status: analyzing/));
    expect(at(/stdout: current 401\.5/)).toBeGreaterThan(at(/status: executing/));
    expect(at(/finished: completed/)).toBeGreaterThan(at(/stdout: current 401\.5/));
    expect(r.out).toMatch(/results\.twice = 803/);

    writeFileSync(join(dir, "later.py"), "import time\ntime.sleep(1)\nprint('done sleeping')\nresults = {}\n");
    const { runId } = JSON.parse((await cli("submit", "--code", "later.py", "--json")).out);
    const logs = await cli("logs", runId, "--follow");
    expect(logs.code).toBe(0);
    expect(logs.out).toMatch(/stdout: done sleeping/);
    expect(logs.out).toMatch(/finished: completed/);
  });

  it("cancels a running run", async () => {
    writeFileSync(join(dir, "slow.py"), "import time\ntime.sleep(30)\nresults = {}\n");
    const sub = await cli("submit", "--code", "slow.py", "--json");
    const { runId } = JSON.parse(sub.out);
    await waitForStatus((id) => fleet.get(id), runId, "executing");
    expect((await cli("cancel", runId)).code).toBe(0);
    await waitForStatus((id) => fleet.get(id), runId, "cancelled", 10_000);
  });

  it("answers bad usage with exit 2 and the usage line", async () => {
    const r = await cli("submit", "--expected", "x=int");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/exactly one of --code FILE or --task TEXT/);
    expect((await cli("status")).code).toBe(2);
    const unknown = await cli("status", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/NOT_FOUND|404/);
  });
});
