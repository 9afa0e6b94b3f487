import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ExecuteInput,
  type ExecutionMethod,
  type ExecutionOutcome,
  codeHash,
  PythonExecutionRequestSchema,
} from "@pyfleet/core";
import { type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileArtifactStore } from "../artifacts/file-artifact-store.js";
import { createExecutorRegistry, type ManagedExecutorRegistry } from "../registry.js";
import { ensureDockerSandbox, SANDBOX_SETUP_TIMEOUT_MS } from "@pyfleet/testing";

/** The local backend twice: a warm parent forking a child per run (default) and an interpreter per run. */
const METHODS = ["local", "local-spawn", "container", "docker"] as const;
type Backend = (typeof METHODS)[number];
const methodOf = (b: Backend): ExecutionMethod => (b === "local-spawn" ? "local" : b);

let jupyter: JupyterFixture;
let registry: ManagedExecutorRegistry;
let spawnRegistry: ManagedExecutorRegistry;
let dir: string;

beforeAll(async () => {
  const [{ dockerHost }, server] = await Promise.all([ensureDockerSandbox(), startJupyterFixture()]);
  jupyter = server;
  registry = createExecutorRegistry(
    {
      execution: { container: { jupyter_host: jupyter.host, jupyter_port: jupyter.port, pool_min_idle: 1, pool_max_size: 1 } },
      limits: { max_stdout_bytes: 64 * 1024 },
    },
    { env: { ...process.env, JUPYTER_TOKEN: jupyter.token, DOCKER_HOST: dockerHost, OPENAI_API_KEY: "sk-must-not-leak" } },
  );
  spawnRegistry = createExecutorRegistry(
    { execution: { local: { isolation: "spawn" } }, limits: { max_stdout_bytes: 64 * 1024 } },
    { env: { ...process.env, OPENAI_API_KEY: "sk-must-not-leak" } },
  );
  dir = await mkdtemp(join(tmpdir(), "pyfleet-3b-"));
}, SANDBOX_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.close();
  await spawnRegistry?.close();
  await jupyter?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function input(code: string, over: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "three", attempt: 1, code, mode: "read_only", context: { beam: { current: 1.5 } }, workDir: join(dir, "work"), timeoutMs: 30_000, dryRun: false, ...over };
}

/** Runs the code on every backend, one after the other (2 cores). */
async function onAll(code: string, over: Partial<ExecuteInput> = {}): Promise<Record<Backend, ExecutionOutcome>> {
  const out: Partial<Record<Backend, ExecutionOutcome>> = {};
  for (const m of METHODS) {
    const from = m === "local-spawn" ? spawnRegistry : registry;
    out[m] = await from.get(methodOf(m), over.mode ?? "read_only").execute(input(code, over));
  }
  return out as Record<Backend, ExecutionOutcome>;
}

const SNIPPET = `
import datetime, math
import numpy as np
import matplotlib.pyplot as plt
x = np.linspace(0, 1, 5)
print("mean", x.mean(), "ünïcødé ✓")
plt.plot(x, x ** 2)
results = {"mean": float(x.mean()), "arr": x, "when": datetime.date(2026, 1, 2), "s": {2, 1}, "c": 1j, "nan": math.nan,
           "ctx": context.beam.current}
`;

describe("the same request on local (fork and spawn), container and docker", () => {
  it("gives equal results, figure count, stdout and attempt notebooks", async () => {
    const outs = await onAll(SNIPPET);
    const store = new FileArtifactStore({ root: join(dir, "artifacts") });
    const request = PythonExecutionRequestSchema.parse({ user_query: "q", task_objective: "t", code: SNIPPET });
    const cells: unknown[] = [];
    for (const m of METHODS) {
      const o = outs[m];
      expect(o.error, m).toBeUndefined();
      expect(o.results, m).toEqual(outs.local.results);
      expect(o.stdout, m).toBe("mean 0.5 ünïcødé ✓\n");
      expect(o.figures, m).toHaveLength(1);
      const folder = await store.initRun({ runId: `three-${m}`, request, createdAt: "2026-11-26T10:00:00Z" });
      const attempt = { number: 1, code: SNIPPET, codeHash: codeHash(SNIPPET), source: "provided" as const, createdAt: "t", outcome: o };
      const saved = await store.saveAttempt({ folder, request, attempt, stage: "execution_succeeded" });
      const nb = JSON.parse(await readFile(saved.notebookPath, "utf8"));
      const code = nb.cells.find((c: { id: string }) => c.id === "code");
      cells.push(code.outputs.map((o: { output_type: string; text?: string[] }) => [o.output_type, o.text ?? null]));
    }
    for (const i of [1, 2, 3]) expect(cells[i], METHODS[i]).toEqual(cells[0]);
  });

  it("reports the same user error and the same read-only refusal", async () => {
    const err = await onAll("def f():\n    return {}['missing']\nf()");
    const ro = await onAll("import epics as ep\nep.PV('X:Y').put(1)");
    for (const m of METHODS) {
      expect(err[m].error, m).toMatchObject({ ename: "KeyError", evalue: "'missing'", category: "code" });
      expect(ro[m].error, m).toMatchObject({ ename: "PermissionError", category: "policy" });
      expect(ro[m].error?.evalue, m).toBe(ro.local.error?.evalue);
    }
  });

  it("records the same writes in a dry run", async () => {
    const outs = await onAll("import epics\nepics.caput('A:1', 1)\nepics.caput('B:2', [1, 2])", { dryRun: true });
    for (const m of METHODS) {
      expect(outs[m].recordedWrites, m).toEqual([
        { pv: "A:1", value: 1, api: "epics.caput", order: 1 },
        { pv: "B:2", value: [1, 2], api: "epics.caput", order: 2 },
      ]);
    }
  });

  it("stops code at its timeout and keeps the worker's secrets away from it", async () => {
    const slow = await onAll("import time\ntime.sleep(60)", { timeoutMs: 2000 });
    const env = await onAll("import os\nresults = {'key': os.environ.get('OPENAI_API_KEY'), 'token': os.environ.get('JUPYTER_TOKEN')}");
    for (const m of METHODS) {
      expect(slow[m].error, m).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
      expect(env[m].results, m).toEqual({ key: null, token: null });
    }
  });
});
