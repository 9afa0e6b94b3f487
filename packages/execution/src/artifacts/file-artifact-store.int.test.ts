import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnalysisResultSchema,
  type Attempt,
  codeHash,
  type ExecutionOutcome,
  isPyfleetError,
  type PythonExecutionRequest,
  PythonExecutionRequestSchema,
  projectPython,
} from "@pyfleet/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileArtifactStore } from "./file-artifact-store.js";
import { findRunFolder, resolveArtifact } from "./paths.js";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const CREATED = "2026-11-26T10:00:00.000Z";
const clock = { now: () => new Date("2026-11-26T10:05:00.000Z") };

let root: string;
let outside: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-art-"));
  outside = await mkdtemp(join(tmpdir(), "pyfleet-outside-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function request(over: Partial<PythonExecutionRequest> = {}): PythonExecutionRequest {
  return PythonExecutionRequestSchema.parse({
    user_query: "plot it",
    task_objective: "plot the beam",
    capability_context_data: { beam: { current: 1.5 } },
    ...over,
  });
}

function outcome(figures: number, over: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    results: { n: figures },
    stdout: `made ${figures}\n`,
    stderr: "",
    figures: Array.from({ length: figures }, (_, i) => ({ name: `figure_0${i + 1}.png`, mime: "image/png" as const, data: PNG })),
    durationMs: 5,
    recordedWrites: [],
    warnings: [],
    backend: "local",
    stdoutTruncated: false,
    ...over,
  };
}

function attempt(n: number, out?: ExecutionOutcome): Attempt {
  const code = `results = {'n': ${n}}`;
  return { number: n, code, codeHash: codeHash(code), source: "generated", createdAt: CREATED, ...(out ? { outcome: out } : {}) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  return isPyfleetError(err) ? err.code : `no PyfleetError: ${String(err)}`;
}

describe("FileArtifactStore", () => {
  it("creates <root>/<YYYY-MM>/<runId>_<folder>/context.json with the context and a secret-free config", async () => {
    const store = new FileArtifactStore({
      root,
      clock,
      configSnapshot: {
        models: { python_code_generator: { api_key_env: "OPENAI_API_KEY", api_key: "sk-live" } },
        redis: { url: "redis://user:hunter2@redis:6379" },
        approver: { tokens: [{ sha256: "ab", identity: "alice" }], signing_key_id: "k1" },
      },
    });
    const req = request();
    const folder = await store.initRun({ runId: "run-1", request: req, createdAt: CREATED });
    expect(folder.folderPath).toBe(join(root, "2026-11", "run-1_python_capability"));
    const context = JSON.parse(await readFile(join(folder.folderPath, "context.json"), "utf8"));
    expect(context.beam).toEqual({ current: 1.5 });
    expect(context._execution_config).toEqual({
      models: { python_code_generator: { api_key_env: "OPENAI_API_KEY" } },
      redis: { url: "redis://redis:6379" },
      approver: { signing_key_id: "k1" },
    });
    expect(JSON.stringify(context)).not.toMatch(/hunter2|sk-live/);
    const again = await store.initRun({ runId: "run-1", request: req, createdAt: CREATED });
    expect(again).toEqual(folder);
    expect(await findRunFolder(root, "run-1")).toBe(folder.folderPath);
  });

  it("gives every attempt its own folder and never leaks stale figures", async () => {
    const store = new FileArtifactStore({ root, clock, notebookBaseUrl: "https://nb.example/lab/tree/" });
    const req = request();
    const folder = await store.initRun({ runId: "run-2", request: req, createdAt: CREATED });
    const a1 = await store.saveAttempt({ folder, request: req, attempt: attempt(1, outcome(2)), stage: "execution_succeeded" });
    const a2 = await store.saveAttempt({ folder, request: req, attempt: attempt(2, outcome(1)), stage: "execution_succeeded" });
    expect(a1.attemptDir).toBe(join(folder.folderPath, "attempts", "01"));
    expect(a2.attemptDir).toBe(join(folder.folderPath, "attempts", "02"));
    expect((await readdir(join(a1.attemptDir, "figures"))).sort()).toEqual(["figure_01.png", "figure_02.png"]);
    expect(await readdir(join(a2.attemptDir, "figures"))).toEqual(["figure_01.png"]);
    expect((await readdir(a2.attemptDir)).sort()).toEqual(
      ["code.py", "figures", "notebook.ipynb", "outcome.json", "results.json", "stdout.txt"].sort(),
    );
    expect(await readFile(join(a2.attemptDir, "stdout.txt"), "utf8")).toBe("made 1\n");
    expect(JSON.parse(await readFile(join(a2.attemptDir, "results.json"), "utf8"))).toEqual({ n: 1 });
    expect(a2.notebookLink).toBe("https://nb.example/lab/tree/2026-11/run-2_python_capability/attempts/02/notebook.ipynb");
    // re-saving attempt 1 without figures empties its figures folder
    const again = await store.saveAttempt({ folder, request: req, attempt: attempt(1, outcome(0)), stage: "execution_succeeded" });
    expect(again.figurePaths).toEqual([]);
    expect(existsSync(join(a1.attemptDir, "figures"))).toBe(false);
    const nb = JSON.parse(await readFile(a2.notebookPath, "utf8"));
    expect(nb.metadata.pyfleet).toMatchObject({ run_id: "run-2", attempt: 2 });
    execFileSync(projectPython(), ["-c", "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", a2.notebookPath], {
      env: { ...process.env, NBFORMAT_VALIDATOR: "jsonschema" },
    });
  });

  it("writes attempts/<NN>/analysis.json with the attempt's analysis, and none for an attempt without one", async () => {
    const store = new FileArtifactStore({ root, clock });
    const req = request();
    const folder = await store.initRun({ runId: "run-an", request: req, createdAt: CREATED });
    const analysis = AnalysisResultSchema.parse({
      passed: true,
      severity: "warning",
      findings: [{ rule: "epics-write", level: "warn", line: 2, column: 0, snippet: "epics.caput('X:Y', 1)", message: "writes X:Y" }],
      pv_writes: [{ pv: "X:Y", line: 2, column: 0, api: "epics.caput" }],
      pv_reads: [{ pv: null, line: 1, column: 4, api: "epics.caget", dynamic: true }],
      execution_mode: "write_access",
      needs_approval: true,
      reasoning: "writes one PV",
      results_keys: ["n"],
      analyzer_version: "test-1",
      duration_ms: 3.5,
    });
    const withAnalysis = await store.saveAttempt({ folder, request: req, attempt: { ...attempt(1), analysis }, stage: "static_analysis_failed" });
    expect(JSON.parse(await readFile(join(withAnalysis.attemptDir, "analysis.json"), "utf8"))).toEqual(analysis);
    const without = await store.saveAttempt({ folder, request: req, attempt: attempt(2, outcome(0)), stage: "execution_succeeded" });
    expect(existsSync(join(without.attemptDir, "analysis.json"))).toBe(false);
  });

  it("writes the final notebook, results, figures copied from the attempt folder and metadata", async () => {
    const store = new FileArtifactStore({ root, clock, notebookBaseUrl: "" });
    const req = request();
    const folder = await store.initRun({ runId: "run-3", request: req, createdAt: CREATED });
    const saved = await store.saveAttempt({ folder, request: req, attempt: attempt(1, outcome(2)), stage: "execution_succeeded" });
    // the workflow keeps only paths in its state once figures are stored
    const pathOnly = outcome(0, { figures: saved.figurePaths.map((p, i) => ({ name: `figure_0${i + 1}.png`, mime: "image/png" as const, path: p })) });
    const final = await store.saveFinal({ folder, request: req, attempt: attempt(1, pathOnly), status: "completed", errorChain: [] });
    expect(final.notebookLink).toBeNull();
    expect(final.figurePaths).toEqual([join(folder.folderPath, "figures", "figure_01.png"), join(folder.folderPath, "figures", "figure_02.png")]);
    expect(await readFile(final.figurePaths[0]!, "base64")).toBe(PNG);
    expect(JSON.parse(await readFile(final.resultsPath, "utf8"))).toEqual({ n: 0 });
    const meta = JSON.parse(await readFile(join(folder.folderPath, "metadata.json"), "utf8"));
    expect(meta).toMatchObject({ run_id: "run-3", status: "completed", created_at: CREATED, figure_count: 2, attempt: 1 });
    const nb = JSON.parse(await readFile(final.notebookPath, "utf8"));
    const code = nb.cells.find((c: { id: string }) => c.id === "code");
    expect(code.outputs.filter((o: { output_type: string }) => o.output_type === "display_data")).toHaveLength(2);
  });

  it("refuses unsafe ids, folders outside the root and writes through planted symlinks", async () => {
    const store = new FileArtifactStore({ root, clock });
    expect(await codeOf(store.initRun({ runId: "../evil", request: request(), createdAt: CREATED }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(store.initRun({ runId: "a/b", request: request(), createdAt: CREATED }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(store.attemptDir({ folderPath: outside }, 1))).toBe("VALIDATION_FAILED");
    expect(await codeOf(store.attemptDir({ folderPath: join(root, "..", "x") }, 1))).toBe("VALIDATION_FAILED");
    const folder = await store.initRun({ runId: "run-4", request: request(), createdAt: CREATED });
    await symlink(outside, join(folder.folderPath, "attempts"));
    expect(
      await codeOf(store.saveAttempt({ folder, request: request(), attempt: attempt(1, outcome(1)), stage: "execution_succeeded" })),
    ).toBe("VALIDATION_FAILED");
    expect(await readdir(outside)).toEqual([]);
    // a symlink planted as a file target is replaced, not followed
    await writeFile(join(outside, "victim.json"), "keep");
    await symlink(join(outside, "victim.json"), join(folder.folderPath, "results.json"));
    await store.saveFinal({ folder, request: request(), attempt: null, status: "failed", errorChain: [] });
    expect(await readFile(join(outside, "victim.json"), "utf8")).toBe("keep");
  });
});

describe("resolveArtifact and findRunFolder", () => {
  it("serves files inside the run folder and refuses traversal", async () => {
    const run = join(root, "2026-11", "r_x");
    await mkdir(join(run, "figures"), { recursive: true });
    await writeFile(join(run, "figures", "f.png"), "png");
    await writeFile(join(outside, "secret"), "s");
    await symlink(join(outside, "secret"), join(run, "link"));
    await symlink(join(run, "figures", "f.png"), join(run, "inner-link"));
    expect(await resolveArtifact(run, "figures/f.png")).toBe(join(run, "figures", "f.png"));
    expect(await resolveArtifact(run, "inner-link")).toBe(join(run, "figures", "f.png"));
    expect(await codeOf(resolveArtifact(run, "../../../etc/passwd"))).toBe("VALIDATION_FAILED");
    expect(await codeOf(resolveArtifact(run, "figures/../../r_x/figures/f.png"))).toBe("VALIDATION_FAILED");
    expect(await codeOf(resolveArtifact(run, "/etc/passwd"))).toBe("VALIDATION_FAILED");
    expect(await codeOf(resolveArtifact(run, "link"))).toBe("VALIDATION_FAILED");
    expect(await codeOf(resolveArtifact(run, "missing.json"))).toBe("NOT_FOUND");
    expect(await codeOf(resolveArtifact(run, "figures"))).toBe("NOT_FOUND");
  });

  it("matches the run id exactly (abc never finds abc_def's folder)", async () => {
    const store = new FileArtifactStore({ root, clock });
    const req = request({ execution_folder_name: "x" });
    const def = await store.initRun({ runId: "abc_def", request: req, createdAt: CREATED });
    expect(await findRunFolder(root, "abc")).toBeNull();
    const abc = await store.initRun({ runId: "abc", request: req, createdAt: "2026-10-01T00:00:00Z" });
    expect(await findRunFolder(root, "abc")).toBe(abc.folderPath);
    expect(await findRunFolder(root, "abc_def")).toBe(def.folderPath);
    expect(await codeOf(findRunFolder(root, "../x"))).toBe("VALIDATION_FAILED");
  });
  it("makes the run folder, an attempt folder and the final files without a thread-pool round trip (the event loop never turns)", async () => {
    const store = new FileArtifactStore({ root, clock });
    const req = request();
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    try {
      // a save of async fs calls lets the timer run between them; none of these leaves the loop
      const folder = await store.initRun({ runId: "run-sync", request: req, createdAt: CREATED });
      await store.attemptDir(folder, 1);
      await store.saveFinal({ folder, request: req, attempt: attempt(1, outcome(1)), status: "completed", errorChain: [] });
      expect(turns).toBe(0);
    } finally {
      clearInterval(tick);
    }
    const again = await store.initRun({ runId: "run-sync", request: req, createdAt: CREATED });
    expect(JSON.parse(await readFile(join(again.folderPath, "metadata.json"), "utf8")).status).toBe("completed");
  });
});
