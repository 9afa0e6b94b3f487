/**
 * The metrics of a real fleet (`pyfleet dev`: Jupyter kernels, the simulated IOC, a fake LLM),
 * scraped over HTTP from the two workers, producer and approver after a write run approved by a
 * human, a generated run and a failing run; and deploy/grafana/pyfleet.json checked against
 * those scrapes: every metric name its expressions use is one a real process exports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FakeOpenAIServer } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const DASHBOARD = `${repo}deploy/grafana/pyfleet.json`;

/** Sample names of a Prometheus text exposition. */
const sampleNames = (text: string): Set<string> => new Set(text.split("\n").flatMap((l) => /^([a-zA-Z_:][\w:]*)[{ ]/.exec(l)?.[1] ?? []));

/** The value of the first sample of `name` whose labels include `labels` (0 when none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m && m[1] === name && want.every((w) => (m[2] ?? "").split(",").includes(w))) return Number(m[3]);
  }
  return 0;
}

/** PromQL words that are not metric names (functions, aggregations, keywords). */
const PROMQL_WORDS = new Set(["sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "by", "without", "on", "ignoring", "and", "or", "unless", "le", "offset", "bool"]);

/** Metric names an expression reads: identifiers not followed by `(`, outside label matchers and quotes. */
export function metricNamesOf(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, " ").replace(/\[[^\]]*\]/g, " ").replace(/"[^"]*"/g, " ").replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, " ");
  return [...bare.matchAll(/[a-zA-Z_:][\w:]*\b(?!\s*\()/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

describe("metrics of a real fleet and the Grafana dashboard", () => {
  let fake: FakeOpenAIServer;
  let dev: ChildProcess;
  let out = "";
  // `pyfleet dev` runs the apps as a deployment does: a read-only worker for every stage and a write executor
  const scrapes: Record<"worker" | "writer" | "producer" | "approver", string> = { worker: "", writer: "", producer: "", approver: "" };

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start({ models: ["gpt-dash"] });
    fake.enqueue({ reply: "```python\nresults = {'answer': 42}\n```", usage: { prompt_tokens: 50, completion_tokens: 10 } });
    const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: "k", PYFLEET_MODEL: "gpt-dash", PYFLEET_LOG_LEVEL: "warn" };
    delete env.EPICS_CA_ADDR_LIST;
    delete env.PYFLEET_DEV_ROLE;
    const args = ["apps/cli/bin/pyfleet.mjs", "dev", "--producer-port", "0", "--approver-port", "0", "--console-port", "0", "--kernels", "jupyter"];
    dev = spawn(process.execPath, [...args, "--prefix", `devmetrics-${process.pid}`], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    dev.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    dev.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    for (let waited = 0; !/dev: ready/.test(out); waited += 250) {
      if (dev.exitCode !== null || waited > 150_000) throw new Error(`pyfleet dev did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const producer = /PYFLEET_URL=(\S+?)\)/.exec(out)![1]!;
    const approver = /PYFLEET_APPROVER_URL=(\S+)/.exec(out)![1]!;
    const token = /PYFLEET_TOKEN=(\w+)/.exec(out)![1]!;
    const [, worker, writer] = /dev: worker metrics (http\S+?\/metrics) and (http\S+?\/metrics)/.exec(out)! as unknown as [string, string, string];
    const json = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const submit = async (body: Record<string, unknown>) => {
      const res = await fetch(`${producer}/v1/runs`, { method: "POST", headers: json, body: JSON.stringify({ user_query: "q", task_objective: "metrics", ...body }) });
      expect(res.status, await res.clone().text()).toBe(202);
      return ((await res.json()) as { runId: string }).runId;
    };
    const run = async (id: string) => (await (await fetch(`${producer}/v1/runs/${id}`, { headers: json })).json()) as { status: string; approvalId?: string };
    const until = async (id: string, statuses: string[]) => {
      for (let waited = 0; waited < 120_000; waited += 250) {
        const r = await run(id);
        if (statuses.includes(r.status)) return r;
        await new Promise((res) => setTimeout(res, 250));
      }
      throw new Error(`run ${id} never reached ${statuses.join("/")}`);
    };
    const write = await submit({ code: "import epics\nepics.caput('SR:MAG:QF1:CURRENT_SP', 102.5)\nresults = {'setpoint': 102.5}" });
    const generated = await submit({});
    const failing = await submit({ code: "raise ValueError('boom')" });
    const parked = await until(write, ["awaiting_approval", "failed"]);
    expect(parked.status).toBe("awaiting_approval");
    const approval = (await (await fetch(`${approver}/v1/approvals/${parked.approvalId}`, { headers: json })).json()) as { approval: { codeHash: string } };
    const decided = await fetch(`${approver}/v1/approvals/${parked.approvalId}/decision`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ decision: "approve", codeHash: approval.approval.codeHash, reason: "metrics test" }),
    });
    expect(decided.status, await decided.clone().text()).toBe(200);
    expect((await until(write, ["completed", "failed", "outcome_unknown"])).status).toBe("completed");
    expect((await until(generated, ["completed", "failed"])).status).toBe("completed");
    expect((await until(failing, ["completed", "failed"])).status).toBe("failed");
    for (let waited = 0; waited < 5000; waited += 100) {
      scrapes.worker = await (await fetch(worker)).text();
      scrapes.writer = await (await fetch(writer)).text();
      if (sample(scrapes.worker, "pyfleet_runs_finished_total", { status: "completed" }) + sample(scrapes.writer, "pyfleet_runs_finished_total", { status: "completed" }) === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    scrapes.producer = await (await fetch(`${producer}/metrics`)).text();
    scrapes.approver = await (await fetch(`${approver}/metrics`)).text();
  }, 300_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once("exit", r));
      dev.kill("SIGTERM");
      await exited;
    }
    await fake?.close();
  });

  it("the workers count the approved write at the IOC by outcome, runs by status and the LLM call; the approver the approval wait", () => {
    const w = scrapes.worker;
    const x = scrapes.writer;
    expect(sample(x, "pyfleet_control_writes_total", { outcome: "ok" }), x).toBe(1);
    expect(sample(x, "pyfleet_runs_finished_total", { status: "completed", mode: "write_access" })).toBe(1);
    expect(sample(x, "pyfleet_jobs_total", { queue: "execute.write_access", outcome: "completed" })).toBe(1);
    expect(sample(scrapes.approver, "pyfleet_approval_wait_seconds_count", { decision: "approve" }), scrapes.approver).toBe(1);
    expect(sample(w, "pyfleet_runs_finished_total", { status: "completed", mode: "read_only" }), w).toBe(1);
    expect(sample(w, "pyfleet_runs_finished_total", { status: "failed", mode: "read_only" })).toBe(1);
    expect(sample(w, "pyfleet_llm_tokens_total", { model: "gpt-dash", kind: "prompt" })).toBe(50);
    // Jupyter's warm pools: one idle kernel per kernelspec at least
    expect(sample(w, "pyfleet_kernel_pool", { kernel: "python3-epics-readonly", state: "idle" })).toBeGreaterThanOrEqual(1);
    expect(sample(scrapes.producer, "pyfleet_runs_submitted_total")).toBe(3);
  });

  it("every metric name in deploy/grafana/pyfleet.json is exported by a real worker, producer or approver", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
    const exported = new Set(Object.values(scrapes).flatMap((text) => [...sampleNames(text)]));
    const used = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, names: metricNamesOf(t.expr) })));
    expect(used.length).toBeGreaterThanOrEqual(10);
    const missing = used.flatMap((u) => u.names.filter((n) => !exported.has(n)).map((n) => `${u.panel}: ${n}`));
    expect(missing).toEqual([]);
    // and the new metrics each have a panel
    const all = new Set(used.flatMap((u) => u.names));
    for (const name of ["pyfleet_runs_finished_total", "pyfleet_stage_duration_seconds_bucket", "pyfleet_approval_wait_seconds_bucket", "pyfleet_control_writes_total", "pyfleet_llm_request_seconds_bucket", "pyfleet_llm_tokens_total", "pyfleet_kernel_pool"]) {
      expect(all.has(name), name).toBe(true);
    }
  });

  it("the expression parser finds metric names and skips functions, label names and ranges", () => {
    expect(metricNamesOf('histogram_quantile(0.95, sum by (le, node) (rate(pyfleet_stage_duration_seconds_bucket{queue="analyze"}[5m])))')).toEqual([
      "pyfleet_stage_duration_seconds_bucket",
    ]);
    expect(metricNamesOf("max(pyfleet_approvals_pending) / sum without (instance) (up)")).toEqual(["pyfleet_approvals_pending", "up"]);
  });
});
