import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveInterpreter } from "../local/interpreter.js";
import { DEFAULT_EXECUTION_OPTIONS, type LocalOptions } from "../options.js";
import { ForkServerExecutor } from "./fork-server-executor.js";

// The PNG a figure run returns is what users get: whatever the fork server does to make figure
// runs faster (pages copied ahead in spares, warm caches in the parent), the bytes must be those
// plain matplotlib writes in a fresh process with the harness's savefig arguments.

const ENV = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: "/nonexistent" };
const LOCAL: LocalOptions = { ...DEFAULT_EXECUTION_OPTIONS.execution.local, env_allowlist: ["PATH", "LANG", "HOME"] };

const FIGURES: Record<string, string> = {
  "the bench's histogram": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "x = np.random.default_rng(1).normal(size=10_000)",
    "plt.hist(x, bins=50)",
  ].join("\n"),
  "lines, legend, title and labels": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "t = np.linspace(0, 10, 500)",
    "plt.plot(t, np.sin(t), label='sin')",
    "plt.plot(t, np.cos(t), '--', label='cos')",
    "plt.legend(loc='best')",
    "plt.title('beam current')",
    "plt.xlabel('t [s]')",
    "plt.ylabel('I [mA]')",
    "plt.grid(True)",
  ].join("\n"),
  "bars with text and an annotation": [
    "import matplotlib.pyplot as plt",
    "fig, ax = plt.subplots(figsize=(5, 3))",
    "ax.bar(['a', 'b', 'c'], [3, 7, 2], color=['C0', 'C1', 'C2'])",
    "ax.text(0, 3.2, 'low', ha='center')",
    "ax.annotate('peak', xy=(1, 7), xytext=(1.6, 6), arrowprops={'arrowstyle': '->'})",
    "ax.set_ylabel(r'$\\sigma_x$ [mm]')",
  ].join("\n"),
  "subplots with a shared axis and a suptitle": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "fig, axes = plt.subplots(2, 2, sharex=True, figsize=(7, 5))",
    "x = np.arange(20)",
    "axes[0, 0].plot(x, x ** 2)",
    "axes[0, 1].scatter(x, np.sqrt(x), c=x, cmap='viridis')",
    "axes[1, 0].step(x, x % 5)",
    "axes[1, 1].fill_between(x, x, 2 * x, alpha=0.3)",
    "axes[1, 1].set_yscale('log')",
    "fig.suptitle('four panels')",
  ].join("\n"),
  "an image with a colorbar": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "z = np.add.outer(np.arange(40.0), np.arange(60.0)) % 17",
    "fig, ax = plt.subplots()",
    "im = ax.imshow(z, cmap='magma', origin='lower')",
    "fig.colorbar(im, ax=ax, label='counts')",
  ].join("\n"),
  "a long sorted line drawn through a subslice, markers, errorbars, hatched bars, axhline": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "fig, ax = plt.subplots()",
    "x = np.linspace(0, 100, 5000)",
    "ax.plot(x, np.sin(x / 7), lw=0.5)",
    "ax.set_xlim(20, 60)",
    "ax.plot([25, 35, 45], [0.2, 0.5, 0.1], 'o-', ms=8, mfc='none')",
    "ax.errorbar([30, 40, 50], [0.0, -0.3, 0.4], yerr=0.1, fmt='s', capsize=3)",
    "ax.bar([55, 58], [0.5, 0.7], width=2, hatch='//', edgecolor='k', fill=False)",
    "ax.axhline(0, color='grey', ls=':')",
    "ax.axvspan(22, 24, alpha=0.2)",
  ].join("\n"),
  "constrained layout, twin axes, a date axis and a polar axes": [
    "import datetime as dt",
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "fig = plt.figure(layout='constrained', figsize=(8, 3))",
    "ax = fig.add_subplot(1, 2, 1)",
    "days = [dt.datetime(2026, 1, 1) + dt.timedelta(days=i) for i in range(30)]",
    "ax.plot(days, np.arange(30), 'C0')",
    "ax.twinx().plot(days, np.arange(30)[::-1] ** 2, 'C1')",
    "fig.autofmt_xdate()",
    "polar = fig.add_subplot(1, 2, 2, projection='polar')",
    "theta = np.linspace(0, 2 * np.pi, 100)",
    "polar.plot(theta, 1 + np.cos(theta))",
  ].join("\n"),
  "two figures in one run, one with a text box outside the axes": [
    "import matplotlib.pyplot as plt",
    "plt.figure()",
    "plt.plot([1, 3, 2])",
    "plt.figtext(0.95, 0.5, 'outside', bbox={'facecolor': 'yellow'})",
    "plt.figure(figsize=(3, 2), dpi=150)",
    "plt.pie([1, 2, 3], labels=['x', 'y', 'z'])",
  ].join("\n"),
};

/** Plain matplotlib in a fresh interpreter: the harness's savefig arguments, nothing else. */
const REFERENCE_PY = [
  "import base64, io, json, sys",
  "import matplotlib",
  "matplotlib.use('Agg')",
  "import matplotlib.pyplot as plt",
  "exec(compile(sys.stdin.read(), '<figure>', 'exec'), {'__name__': '__main__'})",
  "out = []",
  "for num in plt.get_fignums():",
  "    buf = io.BytesIO()",
  "    plt.figure(num).savefig(buf, format='png', dpi=100, bbox_inches='tight', facecolor='white')",
  "    out.append(base64.b64encode(buf.getvalue()).decode('ascii'))",
  "print(json.dumps(out))",
].join("\n");

async function reference(python: string, code: string): Promise<string[]> {
  const child = spawn(python, ["-c", REFERENCE_PY], { env: { ...ENV, MPLBACKEND: "Agg" }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString("utf8");
  });
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString("utf8");
  });
  child.stdin.end(code);
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (exitCode !== 0) throw new Error(`reference process failed (${exitCode}): ${err}`);
  return JSON.parse(out) as string[];
}

/** Private dirty KiB of each spare child of the parent (its children other than a running one). */
async function childrenPrivateDirtyKb(parentPid: number): Promise<number[]> {
  const children = (await readFile(`/proc/${parentPid}/task/${parentPid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean);
  const sizes = await Promise.all(
    children.map(async (pid) => {
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
      return Number(/^Private_Dirty:\s+(\d+) kB/m.exec(rollup)?.[1] ?? Number.NaN);
    }),
  );
  return sizes.filter((kb) => Number.isFinite(kb));
}

let root: string;
let python: string;
let executor: ForkServerExecutor;
let n = 0;
const input = (code: string): ExecuteInput => ({
  runId: "png",
  attempt: 1,
  code,
  mode: "read_only",
  context: null,
  workDir: join(root, `w${n++}`),
  timeoutMs: 60_000,
  dryRun: false,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-figure-png-"));
  python = await resolveInterpreter(LOCAL.python_env_path);
  executor = new ForkServerExecutor({ mode: "read_only", local: LOCAL, forkServer: LOCAL.fork_server, maxStdoutBytes: 64 * 1024, env: ENV });
  await executor.warm();
});
afterAll(async () => {
  await executor.close();
  await rm(root, { recursive: true, force: true });
});

describe("figure runs on the fork server", () => {
  it.each(Object.entries(FIGURES))("return the PNG plain savefig(bbox_inches='tight') writes in a fresh process: %s", async (_name, code) => {
    const expected = await reference(python, code);
    expect(expected.length).toBeGreaterThan(0);
    // twice: the first run may find a spare forked before any figure, the second finds one forked
    // after a figure run (which copied the parent's figure pages ahead)
    for (const round of [1, 2]) {
      const outcome = await executor.execute(input(code));
      expect(outcome.error, `round ${round}`).toBeUndefined();
      expect(
        outcome.figures.map((f) => f.data),
        `round ${round}`,
      ).toEqual(expected);
    }
  });

  it("copies the parent's figure pages ahead in the spare forked after a figure run, not after trivial runs", async () => {
    const info = executor.parentInfo;
    expect(info?.prefaultPages).toBeGreaterThan(1000);
    const pid = info?.pid as number;
    const settled = async () => {
      // the successor spare is forked once the run's child is reaped, then prepares itself
      await new Promise((r) => setTimeout(r, 1500));
      return Math.max(...(await childrenPrivateDirtyKb(pid)));
    };
    const pagesKb = ((info?.prefaultPages ?? 0) * 4096) / 1024;
    for (let i = 0; i < 3; i++) await executor.execute(input("results = {'x': 1}"));
    const afterTrivial = await settled();
    await executor.execute(input(FIGURES["the bench's histogram"] as string));
    // under load the spare may need longer than the settling time to copy the pages
    await expect
      .poll(async () => Math.max(...(await childrenPrivateDirtyKb(pid))) - afterTrivial, { timeout: 15_000, interval: 250 })
      .toBeGreaterThan(pagesKb / 2);
    for (let i = 0; i < 3; i++) await executor.execute(input("results = {'x': 1}"));
    const trivialAgain = await settled();
    expect(trivialAgain - afterTrivial).toBeLessThan(pagesKb / 4);
  });
});
