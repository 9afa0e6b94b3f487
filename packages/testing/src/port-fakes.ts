/**
 * In-memory fakes of the core ports the workflow consumes (generator, analyzer, executors,
 * artifacts, approval verifier, execution guard, event sink), for tests only.
 * Behaviour is driven by markers in the code so a test reads like the route it checks:
 * `# BLOCK` / `# SYNTAX` fail analysis, `# WRITE` needs write access (and a human, unless
 * `# UNAPPROVED`: a policy that lets writes through), `# APPROVE` needs a human,
 * `# RAISE` is a runtime error, `# POLICY` a read-only violation, `# INFRA` a dead kernel,
 * `# HANG` runs until the step's signal aborts. Write code writes `BEAM:SET` (limits 0 … 10, now 0):
 * value 1, or 99 with `# OUTOFLIMITS`; `# DRYFAIL` makes the manifest's dry run raise.
 */
import {
  type AnalysisResult,
  type AnalyzeInput,
  type ApprovalExpectation,
  type ApprovalVerifier,
  type ArtifactStore,
  type Attempt,
  type ErrorChainEntry,
  type EventSink,
  type ExecuteInput,
  type ExecutionGuard,
  type ExecutionMethod,
  type ExecutionMode,
  type ExecutionOutcome,
  type Executor,
  type ExecutorRegistry,
  type GeneratedCode,
  type GenerateInput,
  type PerformedWrite,
  PyfleetError,
  type PythonExecutionRequest,
  PythonExecutionRequestSchema,
  type RunEvent,
  type SignedDecision,
  TIMEOUT_ENAME,
  type WriteManifest,
} from "@pyfleet/core";

/** Returns scripted replies in order (a string is code, an Error is thrown), then default code. */
export class FakeGenerator {
  readonly calls: GenerateInput[] = [];
  constructor(private readonly script: Array<string | Error> = []) {}
  async generate(input: GenerateInput): Promise<GeneratedCode> {
    this.calls.push(input);
    // Streams, then restarts once as a retried request would, then streams again.
    input.onChunk?.("resu");
    input.onRestart?.();
    input.onChunk?.("results = ");
    const next = this.script.shift();
    if (next instanceof Error) throw next;
    const code = next ?? `results = {"value": ${input.attempt}}`;
    return { code, usage: { promptTokens: 10, completionTokens: 5, model: "fake", latencyMs: 1, finishReason: "stop" } };
  }
}

export class FakeAnalyzer {
  readonly calls: AnalyzeInput[] = [];
  async analyze(input: AnalyzeInput): Promise<AnalysisResult> {
    this.calls.push(input);
    const code = input.code;
    const blocked = code.includes("# BLOCK") || code.includes("# SYNTAX");
    const write = code.includes("# WRITE");
    return {
      passed: !blocked,
      severity: blocked ? "error" : "info",
      findings: blocked
        ? [{ rule: code.includes("# SYNTAX") ? "syntax" : "security.exec", level: "block", line: 1, column: 0, snippet: code, message: "blocked by the fake" }]
        : [],
      pv_writes: write ? [{ pv: "BEAM:SET", line: 1, column: 0, api: "epics.caput", dynamic: false }] : [],
      pv_reads: [],
      execution_mode: write ? "write_access" : "read_only",
      needs_approval: (write && !code.includes("# UNAPPROVED")) || code.includes("# APPROVE"),
      reasoning: write ? "writes BEAM:SET" : "",
      results_keys: [],
      analyzer_version: "fake-1",
    };
  }
}

/** Executes by marker; `infraFailures` makes the next N calls throw KERNEL_DIED. */
export class FakeExecutor implements Executor {
  readonly calls: ExecuteInput[] = [];
  /** Manifest dry runs (kept apart from `calls`: they never write). */
  readonly previews: ExecuteInput[] = [];
  infraFailures = 0;
  constructor(readonly method: ExecutionMethod) {}
  async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
    if (input.describeWrites) return this.preview(input);
    this.calls.push(input);
    if (this.infraFailures > 0 || input.code.includes("# INFRA")) {
      this.infraFailures = Math.max(0, this.infraFailures - 1);
      throw new PyfleetError("KERNEL_DIED", "fake kernel died");
    }
    if (input.code.includes("# HANG")) await abortOf(input.signal);
    input.onOutput?.("stdout", "hello\n");
    const base = { stdout: "hello\n", stderr: "", figures: [], durationMs: 1500, recordedWrites: [], warnings: [], backend: this.method, stdoutTruncated: false };
    if (input.code.includes("# RAISE")) {
      const traceback = `Traceback (most recent call last):\n${"  frame\n".repeat(400)}ZeroDivisionError: division by zero`;
      return { ...base, results: null, error: { ename: "ZeroDivisionError", evalue: "division by zero", traceback, category: "code" } };
    }
    if (input.code.includes("# TIMEOUT")) {
      return { ...base, results: null, error: { ename: TIMEOUT_ENAME, evalue: "EXECUTION_TIMEOUT: stopped after 2 s", traceback: "", category: "code" } };
    }
    if (input.code.includes("# POLICY")) {
      return { ...base, results: null, error: { ename: "PermissionError", evalue: "caput is not allowed in read_only mode", traceback: "", category: "policy" } };
    }
    if (input.code.includes("# WRITE") && input.mode === "write_access" && !input.dryRun) {
      // the harness's admission check, as the real one does it
      const allowed = input.writePolicy?.allowed_pvs;
      const value = input.code.includes("# OUTOFLIMITS") ? 99 : 1;
      const write = { pv: "BEAM:SET", value, api: "epics.caput", order: 1, readback: null, at: "2026-01-01T00:00:00.000Z" };
      if (allowed !== null && allowed !== undefined && !allowed.includes("BEAM:SET")) {
        const refused: PerformedWrite = { ...write, status: "refused", error: "not in the manifest", code: "WRITE_NOT_IN_MANIFEST" };
        const error = { ename: "PermissionError", evalue: "BEAM:SET is not in the approved write manifest", traceback: "", category: "policy" as const, code: "WRITE_NOT_IN_MANIFEST" };
        return { ...base, results: null, performedWrites: [refused], error };
      }
      return { ...base, results: { value: input.attempt }, performedWrites: [{ ...write, status: "ok", error: null, code: null, readback: value }] };
    }
    return { ...base, results: { value: input.attempt } };
  }

  private async preview(input: ExecuteInput): Promise<ExecutionOutcome> {
    this.previews.push(input);
    const base = { stdout: "", stderr: "", figures: [], durationMs: 20, warnings: [], backend: this.method, stdoutTruncated: false };
    if (input.code.includes("# DRYFAIL")) {
      return { ...base, results: null, recordedWrites: [], error: { ename: "KeyError", evalue: "'BPM'", traceback: "KeyError: 'BPM'", category: "code" } };
    }
    const value = input.code.includes("# OUTOFLIMITS") ? 99 : 1;
    return {
      ...base,
      results: { value: 0 },
      recordedWrites: input.code.includes("# WRITE") ? [{ pv: "BEAM:SET", value, api: "epics.caput", order: 1 }] : [],
      writeTargets: [
        { pv: "BEAM:SET", connected: true, current: 0, units: "A", precision: 1, limits: { low: 0, high: 10, source: "DRVL/DRVH" }, error: null },
      ],
    };
  }
  async close(): Promise<void> {}
}

/** Resolves never; rejects with CANCELLED once `signal` aborts (a long execution being stopped). */
function abortOf(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener("abort", () => reject(new PyfleetError("CANCELLED", "execution aborted")), { once: true });
  });
}

export class FakeExecutors implements ExecutorRegistry {
  readonly executor = new FakeExecutor("local");
  readonly requested: Array<{ method: ExecutionMethod; mode: ExecutionMode }> = [];
  get(method: ExecutionMethod, mode: ExecutionMode): Executor {
    this.requested.push({ method, mode });
    return this.executor;
  }
  kernelName(mode: ExecutionMode): string {
    return mode === "write_access" ? "python3-epics-write" : "python3-epics-readonly";
  }
}

export class FakeArtifacts implements ArtifactStore {
  readonly inits: string[] = [];
  readonly attemptSaves: Array<{ attempt: number; stage: string; error?: ErrorChainEntry }> = [];
  readonly finals: Array<{ status: string; attempt: Attempt | null }> = [];
  async initRun(input: { runId: string }) {
    this.inits.push(input.runId);
    return { folderPath: `/runs/${input.runId}` };
  }
  async attemptDir(folder: { folderPath: string }, attempt: number) {
    return `${folder.folderPath}/attempts/${String(attempt).padStart(2, "0")}`;
  }
  async saveAttempt(input: Parameters<ArtifactStore["saveAttempt"]>[0]) {
    this.attemptSaves.push({ attempt: input.attempt.number, stage: input.stage, ...(input.error ? { error: input.error } : {}) });
    const dir = await this.attemptDir(input.folder, input.attempt.number);
    return { attemptDir: dir, notebookPath: `${dir}/${input.stage}.ipynb`, notebookLink: `http://jupyter/${input.stage}`, figurePaths: [] };
  }
  async saveFinal(input: Parameters<ArtifactStore["saveFinal"]>[0]) {
    this.finals.push({ status: input.status, attempt: input.attempt });
    return { notebookPath: `${input.folder.folderPath}/notebook.ipynb`, notebookLink: null, figurePaths: [], resultsPath: `${input.folder.folderPath}/results.json` };
  }
}

/** Accepts decisions whose signature is "valid" and that match the expected binding. */
export class FakeVerifier implements ApprovalVerifier {
  readonly calls: unknown[] = [];
  async verify(decision: unknown, expected: ApprovalExpectation) {
    this.calls.push(decision);
    const d = decision as SignedDecision | null;
    if (!d) throw new PyfleetError("APPROVAL_MISSING", "no decision");
    if (d.signature !== "valid") throw new PyfleetError("APPROVAL_SIGNATURE_INVALID", "bad signature");
    if (d.codeHash !== expected.codeHash || d.runId !== expected.runId || d.mode !== expected.mode) {
      throw new PyfleetError("APPROVAL_HASH_MISMATCH", "decision is for other code");
    }
    if (expected.manifestHash !== undefined && (d.manifestHash ?? null) !== expected.manifestHash) {
      throw new PyfleetError("APPROVAL_MANIFEST_MISMATCH", "decision is for another manifest");
    }
    return d;
  }
}

export class FakeGuard implements ExecutionGuard {
  readonly markers = new Map<string, string>();
  async begin(input: { runId: string; attempt: number; codeHash: string }) {
    const key = `${input.runId}:${input.attempt}`;
    if (this.markers.has(key)) return "already_started" as const;
    this.markers.set(key, "started");
    return "acquired" as const;
  }
  async end(input: { runId: string; attempt: number; outcome: "succeeded" | "failed" }) {
    this.markers.set(`${input.runId}:${input.attempt}`, input.outcome);
  }
}

export class FakeEvents implements EventSink {
  readonly events: Array<Omit<RunEvent, "id" | "at">> = [];
  emit(event: Omit<RunEvent, "at" | "id">) {
    this.events.push(event);
  }
  ofType(runId: string, type: RunEvent["type"]) {
    return this.events.filter((e) => e.runId === runId && e.type === type);
  }
}

export interface Fakes {
  generator: FakeGenerator;
  analyzer: FakeAnalyzer;
  executors: FakeExecutors;
  artifacts: FakeArtifacts;
  verifier: FakeVerifier;
  guard: FakeGuard;
  events: FakeEvents;
}

/** A validated request (defaults applied). */
export function makeRequest(extra: Partial<PythonExecutionRequest> = {}): PythonExecutionRequest {
  return PythonExecutionRequestSchema.parse({ user_query: "beam current?", task_objective: "read the beam current", ...extra });
}

/** A decision for a parked attempt, "signed" so the fake verifier accepts it. */
export function makeDecision(
  parked: { runId: string; attempt: number; codeHash: string; executionMode: ExecutionMode; manifest?: WriteManifest | null | undefined },
  extra: Partial<SignedDecision> = {},
): SignedDecision {
  return {
    writePvs: parked.manifest ? [...parked.manifest.pvs] : [],
    manifestHash: parked.manifest?.hash ?? null,
    approvalId: `ap-${parked.runId}-${parked.attempt}`,
    runId: parked.runId,
    attempt: parked.attempt,
    codeHash: parked.codeHash,
    mode: parked.executionMode,
    decision: "approve",
    approvers: ["alice"],
    reason: "looks right",
    expiresAt: "2026-01-02T00:00:00.000Z",
    signedAt: "2026-01-01T00:00:00.000Z",
    keyId: "k1",
    signature: "valid",
    ...extra,
  };
}

