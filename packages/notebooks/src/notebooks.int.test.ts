import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { projectPython } from "@pyfleet/core";
import { REPO_JUPYTER_DIR } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAttemptNotebook } from "./attempt-notebook.js";
import { buildFinalNotebook } from "./final-notebook.js";
import { attempt, outcome, request, TINY_PNG } from "./fixtures.test-helpers.js";
import { type KernelSpecInfo, type Notebook, serializeNotebook } from "./nbformat.js";

const run = promisify(execFile);
/** The project's kernelspecs: notebooks name them and must execute on them. */
const readOnlyKernel: KernelSpecInfo = { name: "python3-epics-readonly", display_name: "Python 3 (EPICS read-only)", language: "python" };
const writeKernel: KernelSpecInfo = { name: "python3-epics-write", display_name: "Python 3 (EPICS, write access)", language: "python" };

let dir: string;
/** Saves a notebook where nbconvert will read it (the fleet saves them through its artifact store). */
async function writeNotebook(path: string, nb: Notebook): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, serializeNotebook(nb), "utf8");
}
const env = () => ({
  ...process.env,
  NBFORMAT_VALIDATOR: "jsonschema",
  JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
  JUPYTER_CONFIG_DIR: join(dir, "config"),
  JUPYTER_PATH: REPO_JUPYTER_DIR,
  PYDEVD_DISABLE_FILE_VALIDATION: "1",
  // The notebook replayed as a user replays it, outside the fleet: the kernelspec's bubblewrap
  // sandbox (tested with the Jupyter backend and the hostile suite) sees only its own work folder,
  // not the run folder holding the notebook's context file.
  PYFLEET_KERNEL_SANDBOX: "off",
});

const figureCode = [
  "import matplotlib",
  "matplotlib.use('Agg')",
  "import matplotlib.pyplot as plt",
  "print('mean', context.beam.current['mean'])",
  "plt.plot([1, 2, 3])",
  "results = {'mean': context.beam.current.mean, 'text': 'héllo'}",
  "print(1 / 0)",
].join("\n");

async function executeNotebook(path: string): Promise<Notebook> {
  const out = `${path}.executed.ipynb`;
  await run(projectPython(), ["-m", "nbconvert", "--to", "notebook", "--execute", "--output", out, path], { env: env(), timeout: 60_000 });
  return JSON.parse(await readFile(out, "utf8")) as Notebook;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pyfleet-nb-"));
  await writeFile(
    join(dir, "context.json"),
    JSON.stringify({ beam: { current: { mean: 1.25 } }, _execution_config: { python_executor: {} } }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The code cell's outputs after nbconvert ran the notebook. */
function codeOutputs(nb: Notebook) {
  const cell = nb.cells.find((c) => c.id === "code");
  return cell?.cell_type === "code" ? cell.outputs : [];
}
const streamText = (nb: Notebook) =>
  codeOutputs(nb)
    .map((o) => (o.output_type === "stream" ? o.text.join("") : ""))
    .join("");
/** Error outputs of every code cell (the context loader included). */
const errorsOf = (nb: Notebook) => nb.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs.filter((o) => o.output_type === "error") : []));

describe("notebooks against real nbformat and nbconvert on the project's kernelspecs", () => {
  it("validate against the nbformat 4.5 schema and execute end to end on python3-epics-readonly", async () => {
    const failed = outcome({
      stdout: "mean 1.25\n",
      results: null,
      figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }],
      error: { ename: "ZeroDivisionError", evalue: "division by zero", traceback: "Traceback\nZeroDivisionError: division by zero", category: "code" },
    });
    const attemptPath = join(dir, "attempts", "01", "notebook.ipynb");
    await writeNotebook(
      attemptPath,
      buildAttemptNotebook({ runId: "r1", request, attempt: attempt(figureCode, failed), stage: "execution_failed", createdAt: "t", kernel: readOnlyKernel }),
    );
    const ok = outcome({ results: { mean: 1.25 }, figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }] });
    const finalPath = join(dir, "notebook.ipynb");
    // the context class comes from the harness the project kernel loads, not the notebook's fallback copy
    const code = "results = {'mean': context.beam.current.mean, 'has': 'beam' in context}\nprint(results)\nprint(type(context).__module__)";
    await writeNotebook(
      finalPath,
      buildFinalNotebook({
        runId: "r1",
        request,
        status: "completed",
        attempt: attempt(code, ok, 2),
        createdAt: "t",
        errorChain: [],
        figurePaths: ["figures/figure_01.png"],
        kernel: readOnlyKernel,
      }),
    );
    const neverRan = join(dir, "attempts", "02", "notebook.ipynb");
    await writeNotebook(
      neverRan,
      buildAttemptNotebook({ runId: "r1", request, attempt: attempt("def broken(:\n  pass"), stage: "syntax_error", createdAt: "t", kernel: readOnlyKernel }),
    );
    // a refused write, re-run on the read-only kernel, is refused again by the kernel's guard
    const writeCode = "import epics\nepics.caput('X:Y', 1)";
    const refused = outcome({
      stdout: "",
      results: null,
      error: { ename: "PermissionError", evalue: "epics.caput(X:Y) refused", traceback: "Traceback\nPermissionError", category: "policy" },
    });
    const refusedPath = join(dir, "attempts", "03", "notebook.ipynb");
    await writeNotebook(
      refusedPath,
      buildAttemptNotebook({ runId: "r1", request, attempt: attempt(writeCode, refused, 3), stage: "execution_failed", createdAt: "t", kernel: readOnlyKernel }),
    );

    const validate =
      "import nbformat, sys\nfor p in sys.argv[1:]:\n    nbformat.validate(nbformat.read(p, as_version=4))\nprint('valid', len(sys.argv) - 1)";
    const { stdout } = await run(projectPython(), ["-c", validate, attemptPath, finalPath, neverRan, refusedPath], { env: env() });
    expect(stdout.trim()).toBe("valid 4");

    const [executedAttempt, executedFinal, executedRefused] = await Promise.all([
      executeNotebook(attemptPath),
      executeNotebook(finalPath),
      executeNotebook(refusedPath),
    ]);
    for (const nb of [executedAttempt, executedFinal, executedRefused]) expect(nb.metadata.kernelspec?.name).toBe("python3-epics-readonly");
    expect(streamText(executedAttempt)).toContain("mean 1.25");
    expect(errorsOf(executedAttempt)).toEqual([expect.objectContaining({ output_type: "error", ename: "ZeroDivisionError" })]);
    expect(streamText(executedFinal)).toBe("{'mean': 1.25, 'has': True}\npyfleet_harness\n");
    expect(errorsOf(executedFinal)).toEqual([]);
    // IPython names the guard's PermissionError subclass by its class name
    expect(errorsOf(executedRefused)).toEqual([
      expect.objectContaining({ output_type: "error", ename: "PermissionError", evalue: expect.stringContaining("epics.caput(X:Y) refused") }),
    ]);
  });

  it("executes a write-mode notebook on python3-epics-write, whose guard does not refuse writes", async () => {
    const code = "import pyfleet_harness\nresults = {'mean': context.beam.current.mean}\nprint('read_only', pyfleet_harness.GUARD.read_only, results)";
    const path = join(dir, "write", "notebook.ipynb");
    await writeNotebook(
      path,
      buildFinalNotebook({
        runId: "r-write",
        request,
        status: "completed",
        attempt: attempt(code, outcome({ results: { mean: 1.25 } })),
        createdAt: "t",
        errorChain: [],
        kernel: writeKernel,
      }),
    );
    await writeFile(join(dir, "write", "context.json"), JSON.stringify({ beam: { current: { mean: 1.25 } } }));
    const executed = await executeNotebook(path);
    expect(executed.metadata.kernelspec?.name).toBe("python3-epics-write");
    expect(streamText(executed)).toBe("read_only False {'mean': 1.25}\n");
    expect(errorsOf(executed)).toEqual([]);
  });
});
