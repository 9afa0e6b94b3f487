import { mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import {
  type ArtifactStore,
  type Attempt,
  type Clock,
  type ErrorChainEntry,
  type Figure,
  type NotebookAttempt,
  PyfleetError,
  type PythonExecutionRequest,
  type RunFolder,
  type SavedAttempt,
  type SavedFinal,
  systemClock,
} from "@pyfleet/core";
import { buildAttemptNotebook, buildFinalNotebook, CONFIG_SNAPSHOT_KEY, type KernelSpecInfo, serializeNotebook } from "@pyfleet/notebooks";
import { attemptFolderName, checkFolderName, checkRunId, isInside, METADATA_FILE, monthOf, resolveArtifact } from "./paths.js";
import { RunFolderWriter } from "./safe-write.js";
import { scrubSecrets } from "./secrets.js";

export interface FileArtifactStoreOptions {
  /** `artifacts.root`: run folders live below it. */
  root: string;
  /** `artifacts.notebook_base_url`: link prefix for notebooks; empty or null means no links. */
  notebookBaseUrl?: string | null;
  /** The effective config, stored in context.json (secrets are removed here). */
  configSnapshot?: Record<string, unknown>;
  /** Kernel named in notebooks (default: the read-only kernel, so re-running one cannot write). */
  notebookKernel?: KernelSpecInfo;
  clock?: Clock;
}

/** The text of a small file, or `fallback` when it cannot be read (synchronous: see RunFolderWriter). */
function readOr<T>(path: string, fallback: T): string | T {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

const FIGURE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,95}\.png$/;

/**
 * Run folders on disk: `<root>/<YYYY-MM>/<runId>_<execution_folder_name>/` with context.json,
 * `attempts/<NN>/` (code.py, analysis.json, stdout.txt, results.json, figures/, notebook.ipynb),
 * and the final notebook.ipynb, results.json, figures/ and metadata.json. Every attempt has its
 * own folder and every save replaces its figures folder, so figures never leak between attempts.
 */
export class FileArtifactStore implements ArtifactStore {
  readonly root: string;
  private readonly baseUrl: string | null;
  private readonly clock: Clock;

  constructor(private readonly opts: FileArtifactStoreOptions) {
    this.root = resolve(opts.root);
    const base = opts.notebookBaseUrl?.trim() ?? "";
    this.baseUrl = base === "" ? null : base.replace(/\/+$/, "");
    this.clock = opts.clock ?? systemClock;
  }

  async initRun(input: { runId: string; request: PythonExecutionRequest; createdAt: string }): Promise<RunFolder> {
    const runId = checkRunId(input.runId);
    const name = checkFolderName(input.request.execution_folder_name);
    const folderPath = join(this.root, monthOf(input.createdAt), `${runId}_${name}`);
    const w = new RunFolderWriter(folderPath);
    // synchronous, like the writer's calls (see RunFolderWriter); a folder this call made is new,
    // so it has no metadata.json to keep and the read for one is skipped
    const made = mkdirSync(folderPath, { recursive: true }) !== undefined;
    const context = { ...(input.request.capability_context_data ?? {}), [CONFIG_SNAPSHOT_KEY]: scrubSecrets(this.opts.configSnapshot ?? {}) };
    await w.writeJson("context.json", context);
    if (made || readOr(w.path(METADATA_FILE), null) === null) {
      await w.writeJson(METADATA_FILE, {
        run_id: runId,
        status: "running",
        created_at: input.createdAt,
        execution_folder_name: name,
        task_objective: input.request.task_objective,
      });
    }
    return { folderPath };
  }

  async attemptDir(folder: RunFolder, attempt: number): Promise<string> {
    return this.writer(folder).mkdir(join("attempts", attemptFolderName(attempt)));
  }

  async saveAttempt(input: {
    folder: RunFolder;
    request: PythonExecutionRequest;
    attempt: Attempt;
    stage: NotebookAttempt["stage"];
    error?: ErrorChainEntry;
  }): Promise<SavedAttempt> {
    const w = this.writer(input.folder);
    const { attempt } = input;
    const rel = join("attempts", attemptFolderName(attempt.number));
    const attemptDir = await w.mkdir(rel);
    await w.remove(join(rel, "figures"));
    await w.write(join(rel, "code.py"), attempt.code);
    if (attempt.analysis) await w.writeJson(join(rel, "analysis.json"), attempt.analysis);
    if (input.error) await w.writeJson(join(rel, "error.json"), input.error);
    const outcome = attempt.outcome;
    let figures: Figure[] = [];
    if (outcome) {
      await w.write(join(rel, "stdout.txt"), outcome.stdout);
      if (outcome.stderr !== "") await w.write(join(rel, "stderr.txt"), outcome.stderr);
      await w.writeJson(join(rel, "results.json"), outcome.results);
      figures = await this.storeFigures(w, input.folder, join(rel, "figures"), outcome.figures);
      await w.writeJson(join(rel, "outcome.json"), { ...outcome, figures: figures.map(({ data: _data, ...f }) => f) });
    }
    const nbAttempt: Attempt = outcome ? { ...attempt, outcome: { ...outcome, figures } } : attempt;
    const nb = buildAttemptNotebook({
      runId: this.runIdOf(input.folder, input.request),
      request: input.request,
      attempt: nbAttempt,
      stage: input.stage,
      createdAt: this.clock.now().toISOString(),
      ...(input.error ? { error: input.error } : {}),
      ...(this.opts.notebookKernel ? { kernel: this.opts.notebookKernel } : {}),
    });
    const notebookPath = await w.write(join(rel, "notebook.ipynb"), serializeNotebook(nb));
    return { attemptDir, notebookPath, notebookLink: this.link(notebookPath), figurePaths: figures.map((f) => f.path ?? "") };
  }

  async saveFinal(input: {
    folder: RunFolder;
    request: PythonExecutionRequest;
    attempt: Attempt | null;
    status: string;
    errorChain: ErrorChainEntry[];
  }): Promise<SavedFinal> {
    const w = this.writer(input.folder);
    const runId = this.runIdOf(input.folder, input.request);
    const outcome = input.attempt?.outcome;
    await w.remove("figures");
    const figures = outcome ? await this.storeFigures(w, input.folder, "figures", outcome.figures) : [];
    const resultsPath = await w.writeJson("results.json", outcome?.results ?? null);
    const attempt = input.attempt && outcome ? { ...input.attempt, outcome: { ...outcome, figures } } : input.attempt;
    const now = this.clock.now().toISOString();
    const nb = buildFinalNotebook({
      runId,
      request: input.request,
      status: input.status,
      attempt,
      createdAt: now,
      errorChain: input.errorChain,
      figurePaths: figures.map((f) => relative(input.folder.folderPath, f.path ?? "").split(sep).join("/")),
      ...(this.opts.notebookKernel ? { kernel: this.opts.notebookKernel } : {}),
    });
    const notebookPath = await w.write("notebook.ipynb", serializeNotebook(nb));
    const notebookLink = this.link(notebookPath);
    const previous = JSON.parse(readOr(w.path(METADATA_FILE), "{}") || "{}") as Record<string, unknown>;
    await w.writeJson(METADATA_FILE, {
      ...previous,
      run_id: runId,
      status: input.status,
      finished_at: now,
      task_objective: input.request.task_objective,
      user_query: input.request.user_query,
      attempt: input.attempt?.number ?? null,
      code_sha256: input.attempt?.codeHash ?? null,
      backend: outcome?.backend ?? null,
      duration_ms: outcome?.durationMs ?? null,
      result_keys: Object.keys(outcome?.results ?? {}),
      figure_count: figures.length,
      recorded_writes: outcome?.recordedWrites ?? [],
      error: outcome?.error ?? null,
      error_chain: input.errorChain.map(({ failedCode: _code, ...e }) => e),
      notebook_link: notebookLink,
    });
    return { notebookPath, notebookLink, figurePaths: figures.map((f) => f.path ?? ""), resultsPath };
  }

  /** Link of a file under the root: `<notebook_base_url>/<YYYY-MM>/<run folder>/...`, or null. */
  link(absPath: string): string | null {
    if (this.baseUrl === null) return null;
    const rel = relative(this.root, absPath).split(sep).map(encodeURIComponent).join("/");
    return `${this.baseUrl}/${rel}`;
  }

  /** Writes figures (inline data, or a file already stored in this run folder) under `relDir`. */
  private async storeFigures(w: RunFolderWriter, folder: RunFolder, relDir: string, figures: Figure[]): Promise<Figure[]> {
    const out: Figure[] = [];
    const used = new Set<string>();
    for (const [i, f] of figures.entries()) {
      let name = FIGURE_NAME.test(f.name) ? f.name : `figure_${String(i + 1).padStart(2, "0")}.png`;
      if (used.has(name)) name = `figure_${String(i + 1).padStart(2, "0")}_${used.size}.png`;
      used.add(name);
      let data: Buffer;
      if (f.data !== undefined) data = Buffer.from(f.data, "base64");
      else if (f.path) data = await readFile(await resolveArtifact(folder.folderPath, relative(folder.folderPath, resolve(f.path))));
      else continue;
      const path = await w.write(join(relDir, name), data);
      out.push({ name, mime: "image/png", data: data.toString("base64"), path });
    }
    return out;
  }

  private writer(folder: RunFolder): RunFolderWriter {
    const abs = resolve(folder.folderPath);
    if (!isInside(this.root, abs) || abs === this.root) {
      throw new PyfleetError("VALIDATION_FAILED", `run folder ${folder.folderPath} is not under artifacts.root ${this.root}`);
    }
    return new RunFolderWriter(abs);
  }

  private runIdOf(folder: RunFolder, request: PythonExecutionRequest): string {
    const base = basename(folder.folderPath);
    const suffix = `_${request.execution_folder_name}`;
    return checkRunId(base.endsWith(suffix) ? base.slice(0, -suffix.length) : base);
  }
}
