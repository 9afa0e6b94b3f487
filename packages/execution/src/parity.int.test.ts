import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, ExecutionOutcome } from "@pyfleet/core";
import { type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutorRegistry, type ManagedExecutorRegistry } from "./registry.js";

let jupyter: JupyterFixture;
let registry: ManagedExecutorRegistry;
let dir: string;

beforeAll(async () => {
  jupyter = await startJupyterFixture();
  dir = await mkdtemp(join(tmpdir(), "pyfleet-parity-"));
  registry = createExecutorRegistry(
    { execution: { container: { jupyter_host: jupyter.host, jupyter_port: jupyter.port, pool_min_idle: 1, pool_max_size: 2 } } },
    { env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", JUPYTER_TOKEN: jupyter.token, OPENAI_API_KEY: "sk-must-not-leak" } },
  );
});
afterAll(async () => {
  await registry?.close();
  await jupyter?.close();
  await rm(dir, { recursive: true, force: true });
});

function input(code: string, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "p", attempt: 1, code, mode: "read_only", context: { beam: { current: 2 } }, workDir: join(dir, "w"), timeoutMs: 30_000, dryRun: false, ...extra };
}

async function both(code: string, extra: Partial<ExecuteInput> = {}): Promise<[ExecutionOutcome, ExecutionOutcome]> {
  const local = await registry.get("local", extra.mode ?? "read_only").execute(input(code, extra));
  const container = await registry.get("container", extra.mode ?? "read_only").execute(input(code, extra));
  return [local, container];
}

const SNIPPET = `
import datetime, math, pathlib
import numpy as np, pandas as pd
import matplotlib.pyplot as plt
x = np.linspace(0, 1, 5)
print("mean", x.mean(), "µA ✓")
plt.plot(x, x ** 2)
plt.figure(); plt.bar([1, 2], [3, 4])
results = {"mean": float(x.mean()), "arr": x, "when": datetime.date(2026, 1, 2), "s": {2, 1}, "c": 1j, "nan": math.nan,
           "df": pd.DataFrame({"a": [1, 2]}), "p": pathlib.Path("/x"), "beam": context.beam.current, "o": object.__name__}
`;

describe("local and container backends agree", () => {
  it("give equal results JSON, figure count and stdout for the same snippet", async () => {
    const [local, container] = await both(SNIPPET);
    expect(local.error).toBeUndefined();
    expect(container.error).toBeUndefined();
    expect(container.results).toEqual(local.results);
    expect(JSON.stringify(container.results)).toBe(JSON.stringify(local.results));
    expect(container.figures.length).toBe(2);
    expect(local.figures.length).toBe(2);
    expect(container.stdout).toBe(local.stdout);
    expect(local.stdout).toBe("mean 0.5 µA ✓\n");
  });

  it("report the same error, policy violation and dry-run writes", async () => {
    const [le, ce] = await both("results = {'a': 1}\n1 / 0");
    expect(ce.error).toEqual(le.error);
    expect(ce.results).toEqual({ a: 1 });
    const [lp, cp] = await both("import epics as e\ne.caput('X:Y', 1)");
    expect(cp.error?.category).toBe("policy");
    expect(cp.error).toEqual(lp.error);
    const [ld, cd] = await both("import epics\nepics.caput('A', 1)\nepics.PV('B').put([1, 2])", { dryRun: true });
    expect(cd.recordedWrites).toEqual(ld.recordedWrites);
    expect(cd.recordedWrites.map((w) => w.pv)).toEqual(["A", "B"]);
  });

  it("keep the worker's API key away from user code on both", async () => {
    const [l, c] = await both("import os\nresults = {'key': os.environ.get('OPENAI_API_KEY')}");
    expect(l.results).toEqual({ key: null });
    expect(c.results).toEqual({ key: null });
  });
});
