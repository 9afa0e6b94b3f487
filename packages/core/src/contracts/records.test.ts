import { describe, expect, it } from "vitest";
import { PyfleetError } from "../errors.js";
import { AnalysisResultSchema } from "./analysis.js";
import { ApprovalRequestSchema, DecisionBodySchema, SignedDecisionSchema } from "./approval.js";
import { ExecutionOutcomeSchema, ExecutionResultSchema } from "./execution.js";
import { NotebookAttemptSchema } from "./notebook.js";
import { FinalResultSchema, isTerminalStatus, newRunRecord, RUN_STATUSES, RunEventSchema, RunRecordSchema } from "./run.js";
import { parseOrThrow } from "./validate.js";

const HASH = "a".repeat(64);
const AT = "2026-11-26T10:00:00.000Z";
const roundTrip = <T>(schema: { parse: (v: unknown) => T }, value: unknown): T =>
  schema.parse(JSON.parse(JSON.stringify(schema.parse(value))));

const finding = { rule: "epics-write", level: "warn", line: 3, column: 1, snippet: "caput('X', 1)", message: "writes X" };
const analysis = {
  passed: true,
  severity: "warning",
  findings: [finding],
  pv_writes: [{ pv: "X", line: 3, column: 1, api: "epics.caput", dynamic: false }],
  pv_reads: [],
  execution_mode: "write_access",
  needs_approval: true,
  reasoning: "writes X",
  results_keys: ["done"],
  analyzer_version: "1",
};
const result = {
  results: { mean: 1.5 },
  stdout: "hi\n",
  stderr: "",
  execution_time: 0.42,
  folder_path: "/a/run",
  notebook_path: "/a/run/notebook.ipynb",
  notebook_link: null,
  figure_paths: ["/a/run/figures/1.png"],
  recorded_writes: [{ pv: "X", value: 1, api: "epics.caput", order: 0 }],
};

describe("contracts", () => {
  it("lists the run statuses of the issue and knows which are terminal", () => {
    expect(RUN_STATUSES).toEqual([
      "queued",
      "generating",
      "analyzing",
      "awaiting_approval",
      "executing",
      "completed",
      "failed",
      "rejected",
      "cancelled",
      "approval_expired",
      "outcome_unknown",
    ]);
    expect(RUN_STATUSES.filter(isTerminalStatus)).toEqual([
      "completed",
      "failed",
      "rejected",
      "cancelled",
      "approval_expired",
      "outcome_unknown",
    ]);
  });

  it("round-trips analysis, execution results and outcomes, and fills their defaults", () => {
    expect(roundTrip(AnalysisResultSchema, analysis)).toEqual(analysis);
    expect(roundTrip(ExecutionResultSchema, result)).toEqual(result);
    const { recorded_writes: _writes, ...withoutWrites } = result;
    expect(ExecutionResultSchema.parse(withoutWrites).recorded_writes).toEqual([]);
    const outcome = ExecutionOutcomeSchema.parse({
      results: null,
      stdout: "",
      stderr: "boom",
      error: { ename: "ZeroDivisionError", evalue: "division by zero", traceback: "...", category: "code" },
      figures: [{ name: "fig1", mime: "image/png", path: "/f.png" }],
      durationMs: 12,
      backend: "local",
    });
    expect(outcome).toMatchObject({ recordedWrites: [], warnings: [], stdoutTruncated: false });
    expect(roundTrip(ExecutionOutcomeSchema, outcome)).toEqual(outcome);
  });

  it("round-trips run records, events and final results", () => {
    const record = {
      runId: "r1",
      threadId: "t1",
      checkpointNs: "python_executor",
      status: "awaiting_approval",
      stage: "approve",
      mode: "write_access",
      attempts: 1,
      requester: "alice",
      task: "plot",
      createdAt: AT,
      updatedAt: AT,
      finishedAt: null,
      approvalId: "a1",
      resultSummary: null,
      error: null,
    };
    expect(roundTrip(RunRecordSchema, record)).toEqual(record);
    const fresh = newRunRecord({ runId: "r2", threadId: "run-r2", checkpointNs: "", requester: "bob", task: "t", at: AT, method: "local" });
    expect(roundTrip(RunRecordSchema, fresh)).toEqual(fresh);
    expect(fresh).toMatchObject({ status: "queued", stage: null, mode: null, attempts: 0, createdAt: AT, updatedAt: AT, method: "local", error: null });
    expect(newRunRecord({ runId: "r3", threadId: "t", checkpointNs: "", requester: "bob", task: "t", at: AT })).not.toHaveProperty("method");
    const event = { id: "1-0", runId: "r1", type: "stdout", at: AT, stage: "execute", attempt: 1, data: { text: "hi" } };
    expect(roundTrip(RunEventSchema, event)).toEqual(event);
    const final = { status: "completed", result, code: "x=1", attempts: 1, reason: null };
    expect(roundTrip(FinalResultSchema, final)).toEqual(final);
  });

  it("round-trips approval requests, signed decisions and notebook attempts", () => {
    const request = {
      approval_type: "python_executor",
      runId: "r1",
      threadId: "t1",
      attempt: 1,
      codeHash: HASH,
      code: "caput('X', 1)",
      executionMode: "write_access",
      kernelName: "python3-epics-write",
      task: "set X",
      userQuery: "set X to 1",
      reasoning: "writes X",
      findings: [finding],
      pvWrites: analysis.pv_writes,
      notebookPath: null,
      notebookLink: null,
      requester: "alice",
      expectedResults: {},
      user_message: "HUMAN APPROVAL REQUIRED",
    };
    expect(roundTrip(ApprovalRequestSchema, request)).toEqual(request);
    const signed = {
      approvalId: "a1",
      runId: "r1",
      attempt: 1,
      codeHash: HASH,
      mode: "write_access",
      decision: "approve",
      approvers: ["bob"],
      reason: "checked",
      expiresAt: AT,
      signedAt: AT,
      keyId: "k1",
      signature: "sig",
    };
    expect(roundTrip(SignedDecisionSchema, signed)).toEqual(signed);
    const notebook = { kind: "attempt", attempt: 1, stage: "awaiting_approval", path: "/n.ipynb", link: null, createdAt: AT };
    expect(roundTrip(NotebookAttemptSchema, notebook)).toEqual(notebook);
  });

  it("rejects a decision body with a wrong hash, no reason or an extra field, with paths", () => {
    let caught: PyfleetError | undefined;
    try {
      parseOrThrow(DecisionBodySchema, { decision: "approve", codeHash: "abc", reason: "", approved: true }, "decision");
    } catch (err) {
      caught = err as PyfleetError;
    }
    expect(caught).toBeInstanceOf(PyfleetError);
    expect(caught?.code).toBe("VALIDATION_FAILED");
    expect(caught?.issues).toEqual([
      { path: "codeHash", message: "codeHash must be the 64-hex sha256 of the code shown" },
      { path: "reason", message: "reason must say why" },
      expect.objectContaining({ path: "(root)" }),
    ]);
  });

  it("rejects an analysis result with an unknown level or mode", () => {
    const bad = { ...analysis, findings: [{ ...finding, level: "fatal" }], execution_mode: "root" };
    const r = AnalysisResultSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["findings.0.level", "execution_mode"]);
  });
});
