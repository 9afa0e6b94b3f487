import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Attempt, codeHash, PythonExecutionRequestSchema, projectPython } from "@pyfleet/core";
import type { Notebook } from "@pyfleet/notebooks";
import { REPO_JUPYTER_DIR } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalExecutor } from "../local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { FileArtifactStore } from "./file-artifact-store.js";

const run = promisify(execFile);
let root: string;
let executor: LocalExecutor;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-nbexec-"));
  executor = new LocalExecutor({ local: DEFAULT_EXECUTION_OPTIONS.execution.local, maxStdoutBytes: 64 * 1024 });
});
afterAll(async () => {
  await executor.close();
  await rm(root, { recursive: true, force: true });
});

/** Runs the notebook with nbconvert on the kernelspec it names, from the repo's jupyter/ folder. */
async function execute(path: string): Promise<Notebook> {
  const out = `${path}.executed.ipynb`;
  await run(projectPython(), ["-m", "nbconvert", "--to", "notebook", "--execute", "--output", out, path], {
    env: {
      ...process.env,
      JUPYTER_PATH: REPO_JUPYTER_DIR,
      JUPYTER_RUNTIME_DIR: join(root, "runtime"),
      JUPYTER_CONFIG_DIR: join(root, "config"),
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
      // replayed as a user replays it, outside the fleet: the kernelspec's bubblewrap sandbox
      // (tested with the Jupyter backend) sees only its own work folder, not the run folder
      PYFLEET_KERNEL_SANDBOX: "off",
    },
    timeout: 90_000,
  });
  return JSON.parse(await readFile(out, "utf8")) as Notebook;
}

const codeCell = (nb: Notebook) => {
  const cell = nb.cells.find((c) => c.id === "code");
  return cell?.cell_type === "code" ? cell : null;
};
const streamOf = (nb: Notebook) =>
  (codeCell(nb)?.outputs ?? [])
    .map((o) => (o.output_type === "stream" ? o.text.join("") : ""))
    .join("");
const errorsOf = (nb: Notebook) => nb.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs.filter((o) => o.output_type === "error") : []));

describe("notebooks the FileArtifactStore writes from a real execution", () => {
  it("execute on python3-epics-readonly with nbconvert: context and stdout come back, no errors", async () => {
    const store = new FileArtifactStore({ root });
    const request = PythonExecutionRequestSchema.parse({
      user_query: "plot the beam current",
      task_objective: "mean of the beam current",
      capability_context_data: { beam: { current: { mean: 1.25, samples: [1, 1.5] } } },
    });
    const folder = await store.initRun({ runId: "nb-run", request, createdAt: "2026-11-26T10:00:00.000Z" });
    const code = [
      "import matplotlib.pyplot as plt",
      "plt.plot(context.beam.current.samples)",
      "results = {'mean': context.beam.current.mean, 'n': len(context.beam.current.samples)}",
      "print('mean µA', results['mean'], results['n'])",
    ].join("\n");
    const workDir = await store.attemptDir(folder, 1);
    const outcome = await executor.execute({ runId: "nb-run", attempt: 1, code, mode: "read_only", context: request.capability_context_data ?? null, workDir, timeoutMs: 30_000, dryRun: false });
    expect(outcome.error).toBeUndefined();
    expect(outcome.figures).toHaveLength(1);
    const attempt: Attempt = { number: 1, code, codeHash: codeHash(code), source: "generated", createdAt: "2026-11-26T10:00:01.000Z", outcome };
    const saved = await store.saveAttempt({ folder, request, attempt, stage: "execution_succeeded" });
    const final = await store.saveFinal({ folder, request, attempt, status: "completed", errorChain: [] });

    const [executedAttempt, executedFinal] = await Promise.all([execute(saved.notebookPath), execute(final.notebookPath)]);
    for (const nb of [executedAttempt, executedFinal]) {
      expect(nb.metadata.kernelspec?.name).toBe("python3-epics-readonly");
      expect(errorsOf(nb)).toEqual([]);
      // re-run, the code prints what the run printed, from the stored context.json
      expect(streamOf(nb)).toBe("mean µA 1.25 2\n");
      expect(streamOf(nb)).toBe(outcome.stdout);
    }
    const resultsCell = executedFinal.cells.find((c) => c.id === "results");
    expect(resultsCell?.source.join("")).toMatch(/mean.*1\.25/s);
  }, 120_000);

  it("a write-mode run's notebooks, written with the write kernelspec, execute on python3-epics-write", async () => {
    const store = new FileArtifactStore({
      root,
      notebookKernel: { name: "python3-epics-write", display_name: "Python 3 (EPICS, write access)", language: "python" },
    });
    const request = PythonExecutionRequestSchema.parse({ user_query: "set it", task_objective: "write mode", capability_context_data: { v: { x: 2 } } });
    const folder = await store.initRun({ runId: "nb-write", request, createdAt: "2026-11-26T10:00:00.000Z" });
    // on the read-only kernel the guard would report True; the write kernel's guard is not locked
    const code = "import sys\nguard = sys.modules.get('pyfleet_harness')\nprint('read-only guard:', bool(guard and guard.GUARD.read_only), context.v.x)";
    const workDir = await store.attemptDir(folder, 1);
    const outcome = await executor.execute({ runId: "nb-write", attempt: 1, code, mode: "write_access", context: request.capability_context_data ?? null, workDir, timeoutMs: 30_000, dryRun: false });
    expect(outcome.error).toBeUndefined();
    const attempt: Attempt = { number: 1, code, codeHash: codeHash(code), source: "generated", createdAt: "2026-11-26T10:00:01.000Z", outcome };
    const saved = await store.saveAttempt({ folder, request, attempt, stage: "execution_succeeded" });
    const final = await store.saveFinal({ folder, request, attempt, status: "completed", errorChain: [] });
    for (const nb of await Promise.all([execute(saved.notebookPath), execute(final.notebookPath)])) {
      expect(nb.metadata.kernelspec?.name).toBe("python3-epics-write");
      expect(errorsOf(nb)).toEqual([]);
      expect(streamOf(nb)).toBe("read-only guard: False 2\n");
    }
  }, 120_000);
});
