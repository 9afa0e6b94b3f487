import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAttemptNotebook } from "./attempt-notebook.js";
import { buildFinalNotebook } from "./final-notebook.js";
import { attempt, outcome, request, TINY_PNG } from "./fixtures.test-helpers.js";
import type { KernelSpecInfo, Notebook } from "./nbformat.js";
import { writeNotebook } from "./write.js";

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const projectJupyter = join(repoRoot, "jupyter");
const projectKernel = join(projectJupyter, "kernels", "python3-epics-readonly", "kernel.json");
/** The project's read-only kernelspec when the repo ships it, else Debian's python3 kernel. */
const useProjectKernel = existsSync(projectKernel);
const debianKernel: KernelSpecInfo = { name: "python3", display_name: "Python 3", language: "python" };
const kernel: KernelSpecInfo = useProjectKernel
  ? { name: "python3-epics-readonly", display_name: "Python 3 (EPICS read-only)", language: "python" }
  : debianKernel;

let dir: string;
const env = () => ({
  ...process.env,
  NBFORMAT_VALIDATOR: "jsonschema",
  JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
  JUPYTER_CONFIG_DIR: join(dir, "config"),
  ...(useProjectKernel ? { JUPYTER_PATH: projectJupyter } : {}),
  PYDEVD_DISABLE_FILE_VALIDATION: "1",
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
  await run("/usr/bin/jupyter-nbconvert", ["--to", "notebook", "--execute", "--output", out, path], { env: env(), timeout: 60_000 });
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

describe("notebooks against real nbformat and nbconvert", () => {
  it("validate against the nbformat 4.5 schema and execute end to end", async () => {
    const failed = outcome({
      stdout: "mean 1.25\n",
      results: null,
      figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }],
      error: { ename: "ZeroDivisionError", evalue: "division by zero", traceback: "Traceback\nZeroDivisionError: division by zero", category: "code" },
    });
    const attemptPath = join(dir, "attempts", "01", "notebook.ipynb");
    await writeNotebook(
      attemptPath,
      buildAttemptNotebook({ runId: "r1", request, attempt: attempt(figureCode, failed), stage: "execution_failed", createdAt: "t", kernel }),
    );
    const ok = outcome({ results: { mean: 1.25 }, figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }] });
    const finalPath = join(dir, "notebook.ipynb");
    const code = "results = {'mean': context.beam.current.mean, 'has': 'beam' in context}\nprint(results)";
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
        kernel: debianKernel,
      }),
    );
    const neverRan = join(dir, "attempts", "02", "notebook.ipynb");
    await writeNotebook(
      neverRan,
      buildAttemptNotebook({ runId: "r1", request, attempt: attempt("def broken(:\n  pass"), stage: "syntax_error", createdAt: "t", kernel }),
    );

    const validate =
      "import nbformat, sys\nfor p in sys.argv[1:]:\n    nbformat.validate(nbformat.read(p, as_version=4))\nprint('valid', len(sys.argv) - 1)";
    const { stdout } = await run("/usr/bin/python3", ["-c", validate, attemptPath, finalPath, neverRan], { env: env() });
    expect(stdout.trim()).toBe("valid 3");

    const [executedAttempt, executedFinal] = await Promise.all([executeNotebook(attemptPath), executeNotebook(finalPath)]);
    const attemptCode = executedAttempt.cells.find((c) => c.id === "code");
    const attemptOutputs = attemptCode?.cell_type === "code" ? attemptCode.outputs : [];
    expect(attemptOutputs.some((o) => o.output_type === "stream" && o.text.join("").includes("mean 1.25"))).toBe(true);
    expect(attemptOutputs.some((o) => o.output_type === "error" && o.ename === "ZeroDivisionError")).toBe(true);
    const finalCode = executedFinal.cells.find((c) => c.id === "code");
    const finalOutputs = finalCode?.cell_type === "code" ? finalCode.outputs : [];
    expect(finalOutputs).toEqual([expect.objectContaining({ output_type: "stream", text: ["{'mean': 1.25, 'has': True}\n"] })]);
  });
});
