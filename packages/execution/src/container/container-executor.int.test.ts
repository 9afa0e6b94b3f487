import type { ExecuteInput } from "@pyfleet/core";
import { isPyfleetError } from "@pyfleet/core";
import { type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peakRetainedGrowth, RSS_PROBE_PY } from "../memory-probe.test-helpers.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

let jupyter: JupyterFixture;
let ro: ContainerExecutor;
let rw: ContainerExecutor;
const container = { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1, interrupt_grace_seconds: 1 };

function make(mode: "read_only" | "write_access", overrides: Partial<typeof container> = {}) {
  return new ContainerExecutor({
    kernelName: mode === "read_only" ? "python3-epics-readonly" : "python3-epics-write",
    mode,
    settings: makeServerSettings(jupyter),
    container: { ...container, ...overrides },
    maxStdoutBytes: 64 * 1024,
  });
}

beforeAll(async () => {
  jupyter = await startJupyterFixture({ env: { OPENAI_API_KEY: "sk-must-not-leak" } });
  ro = make("read_only");
  rw = make("write_access");
});
afterAll(async () => {
  await Promise.all([ro?.close(), rw?.close()]);
  await jupyter?.close();
});

function input(code: string, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "r1", attempt: 1, code, mode: "read_only", context: null, workDir: "/nonexistent", timeoutMs: 20_000, dryRun: false, ...extra };
}

/** Waits until the pool has a warm kernel, so timings measure the run and not a restart. */
async function warm(executor: ContainerExecutor): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (executor.pool.stats().idle === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("ContainerExecutor (real jupyter_server, pooled kernels)", () => {
  it("returns results, unicode stdout, context and figures over the Jupyter protocol", async () => {
    const streamed: string[] = [];
    const outcome = await ro.execute(
      input("import matplotlib.pyplot as plt\nprint('µA ✓ 日本')\nplt.plot([1, 2])\nplt.figure()\nresults = {'v': context.beam.current * 2}", {
        context: { beam: { current: 2.5 } },
        onOutput: (_s, t) => streamed.push(t),
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.results).toEqual({ v: 5 });
    expect(outcome.stdout).toBe("µA ✓ 日本\n");
    expect(streamed.join("")).toBe("µA ✓ 日本\n");
    expect(outcome.figures.map((f) => f.name)).toEqual(["figure_01.png", "figure_02.png"]);
    expect(Buffer.from(outcome.figures[0]?.data ?? "", "base64").subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(outcome.backend).toBe("container");
  });

  it("returns a traceback without harness frames", async () => {
    const outcome = await ro.execute(input("def f():\n    raise ValueError('bad µ')\nf()"));
    expect(outcome.error).toMatchObject({ ename: "ValueError", evalue: "bad µ", category: "code" });
    expect(outcome.error?.traceback).toContain('File "code.py", line 2, in f');
    expect(outcome.error?.traceback).not.toContain("harness");
  });

  it("never shows one run's variables or builtins to the next on the pooled kernel", async () => {
    await ro.execute(input("leaked = 41\nimport builtins\nbuiltins.leaked_builtin = 1\nresults = {}"));
    const outcome = await ro.execute(input("import builtins\nresults = {'var': 'leaked' in globals(), 'builtin': hasattr(builtins, 'leaked_builtin')}"));
    expect(outcome.results).toEqual({ var: false, builtin: false });
  });

  it("hides the server's API keys from user code", async () => {
    const outcome = await ro.execute(input("import os\nresults = {'key': 'OPENAI_API_KEY' in os.environ}"));
    expect(outcome.results).toEqual({ key: false });
  });

  it("refuses epics writes in the read-only kernel, also aliased, as a policy error", async () => {
    for (const code of ["import epics\nepics.caput('X:Y', 1)", "import epics\nepics.PV('X:Y').put(1)", "import epics as e\nfrom epics import caput as c\nc('X:Y', 1)"]) {
      const outcome = await ro.execute(input(code));
      expect(outcome.error, code).toMatchObject({ ename: "PermissionError", category: "policy" });
    }
  });

  it("even when the request claims write_access mode, the read-only kernel stays read-only", async () => {
    await expect(ro.execute(input("pass", { mode: "write_access" }))).rejects.toMatchObject({ code: "BACKEND_MISCONFIGURED" });
  });

  it("records writes in order in a dry run on both kernels", async () => {
    const code = "import epics\nepics.caput('A:1', 1)\nepics.PV('B:2').put(2.5)\nwrite_channels({'C:3': 'x'})";
    for (const [executor, mode] of [
      [ro, "read_only"],
      [rw, "write_access"],
    ] as const) {
      const outcome = await executor.execute(input(code, { mode, dryRun: true }));
      expect(outcome.error).toBeUndefined();
      expect(outcome.recordedWrites).toEqual([
        { pv: "A:1", value: 1, api: "epics.caput", order: 1 },
        { pv: "B:2", value: 2.5, api: "epics.PV.put", order: 2 },
        { pv: "C:3", value: "x", api: "write_channel", order: 3 },
      ]);
    }
  });

  it("interrupts time.sleep(60) at a 2 s timeout within 4 s, and the pool still serves", async () => {
    await warm(ro);
    const started = Date.now();
    const outcome = await ro.execute(input("import time\ntime.sleep(60)", { timeoutMs: 2000 }));
    expect(Date.now() - started).toBeLessThan(4000);
    expect(outcome.error).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
    expect(outcome.error?.evalue).toContain("EXECUTION_TIMEOUT");
    expect(outcome.error?.traceback).toContain("time.sleep(60)");
    expect((await ro.execute(input("results = {'ok': 1}"))).results).toEqual({ ok: 1 });
  });

  it("turns os._exit(1) into an infrastructure error and replaces the kernel", async () => {
    const before = (await jupyter.listKernels()).filter((k) => k.name === "python3-epics-write").map((k) => k.id);
    const err = await rw.execute(input("import os\nos._exit(1)", { mode: "write_access" })).catch((e: unknown) => e);
    expect(isPyfleetError(err)).toBe(true);
    expect(err).toMatchObject({ category: "infrastructure", code: "KERNEL_DIED" });
    const outcome = await rw.execute(input("results = {'ok': 1}", { mode: "write_access" }));
    expect(outcome.results).toEqual({ ok: 1 });
    const deadline = Date.now() + 10_000;
    let after = before;
    while (after.some((id) => before.includes(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await jupyter.listKernels()).filter((k) => k.name === "python3-epics-write").map((k) => k.id);
    }
    expect(after.some((id) => before.includes(id))).toBe(false);
  });

  it("truncates 20 MB of output with a marker and holds none of it in memory (worker or kernel)", async () => {
    const { value: outcome, growthBytes } = await peakRetainedGrowth(() =>
      ro.execute(
        input(
          `${RSS_PROBE_PY}\n` +
            "line = 'y' * 1023 + '\\n'\nfor _ in range(20 * 1024):\n    sys.stdout.write(line)\nresults = {'done': 1, 'rss_growth': rss() - rss0}",
        ),
      ),
    );
    // kept whole, 20 MB of stream messages would be >= 20 MB here; the kernel-side cap sends
    // ~64 KB (0.1-0.2 MB growth seen)
    expect(growthBytes).toBeLessThan(5 * 2 ** 20);
    expect(outcome.results?.rss_growth).toBeLessThan(8 * 2 ** 20);
    expect(outcome.results).toMatchObject({ done: 1 });
    expect(outcome.stdoutTruncated).toBe(true);
    expect(outcome.stdout.length).toBeLessThan(64 * 1024 + 200);
    expect(outcome.stdout).toContain("[pyfleet: output truncated at 65536 bytes");
  });

  it("reset mode also hides variables, and close() leaves no kernel on the server", async () => {
    const resetting = make("write_access", { reset: "reset" });
    await resetting.execute(input("leaked = 1\nresults = {}", { mode: "write_access" }));
    const outcome = await resetting.execute(input("results = {'var': 'leaked' in globals()}", { mode: "write_access" }));
    expect(outcome.results).toEqual({ var: false });
    const ids = (await jupyter.listKernels()).length;
    await resetting.close();
    await resetting.close();
    expect((await jupyter.listKernels()).length).toBe(ids - 1);
  });
});
