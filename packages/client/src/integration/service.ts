import { type Command, GraphInterrupt, isCommand } from "@langchain/langgraph";
import {
  ERROR_CODES,
  type ErrorCode,
  type ExecutionMethod,
  type ExecutionResult,
  isPyfleetError,
  isTerminalStatus,
  PyfleetError,
  type PythonExecutionRequestInput,
} from "@pyfleet/core";
import type { PyfleetClient, RunDetails } from "../client.js";
import { Http } from "../http.js";
import { createApprovalType } from "./approval.js";

/** The original `PythonServiceResult`, plus the fleet's run id. */
export interface PythonServiceResult {
  execution_result: ExecutionResult;
  generated_code: string;
  generation_attempt: number;
  analysis_warnings: string[];
  runId: string;
}

/** The LangGraph-style config the service honours. */
export interface ServiceConfig {
  configurable?: {
    thread_id?: string;
    checkpoint_ns?: string;
    execution_method?: ExecutionMethod;
    [key: string]: unknown;
  };
}

export interface PythonExecutorServiceOptions {
  client: PyfleetClient;
  /** Approver API used to pass on an answer given in the conversation (needs the approver role). */
  approver?: { baseUrl: string; token: string };
  /** Longest wait for one run; default 10 minutes. */
  waitTimeoutMs?: number;
}

/** Payload of the caller-side interrupt: the original's `{ user_message, resume_payload }`. */
export interface ApprovalInterruptValue {
  user_message: string;
  resume_payload: Record<string, unknown> & { approval_type: string; runId: string; approvalId: string | null; codeHash: string };
}

/**
 * The original system's `python_executor` service, backed by the fleet. `ainvoke(request)`
 * submits a run on `configurable.thread_id` and waits; a run parked for approval throws a
 * GraphInterrupt (use `handleServiceWithInterrupts`); `ainvoke(Command({ resume }))` passes the
 * answer on and waits for the end. A failed run throws a PyfleetError with the run's error code.
 */
export class PythonExecutorService {
  private readonly approver: Http | null;

  constructor(private readonly opts: PythonExecutorServiceOptions) {
    this.approver = opts.approver ? new Http({ baseUrl: opts.approver.baseUrl, token: opts.approver.token }) : null;
  }

  async ainvoke(input: PythonExecutionRequestInput | Command, config: ServiceConfig = {}): Promise<PythonServiceResult> {
    if (isCommand(input)) return this.resume(input as Command, config);
    const runId = await this.start(input as PythonExecutionRequestInput, config);
    return this.settle(await this.opts.client.wait(runId, { untilApproval: true, ...this.timeout() }));
  }

  private async start(request: PythonExecutionRequestInput, config: ServiceConfig): Promise<string> {
    const c = config.configurable ?? {};
    const body: PythonExecutionRequestInput = {
      ...request,
      ...(c.thread_id ? { thread_id: c.thread_id } : {}),
      ...(c.checkpoint_ns ? { checkpoint_ns: c.checkpoint_ns } : {}),
    };
    const method = c.execution_method ? { executionMethod: c.execution_method } : {};
    try {
      return (await this.opts.client.submit(body, method)).runId;
    } catch (err) {
      if (!isPyfleetError(err) || err.code !== "THREAD_HAS_RUN") throw err;
      const existing = String(err.details?.runId ?? "");
      const run = await this.opts.client.get(existing);
      if (!isTerminalStatus(run.status)) return existing;
      // The thread's earlier run is over: a new request starts a new run on a derived thread.
      const thread = `${body.thread_id}.${Date.now().toString(36)}`;
      return (await this.opts.client.submit({ ...body, thread_id: thread }, method)).runId;
    }
  }

  private async resume(cmd: Command, _config: ServiceConfig): Promise<PythonServiceResult> {
    const resume = cmd.resume as Record<string, unknown> | undefined;
    if (!resume || typeof resume !== "object" || typeof resume.runId !== "string") {
      throw new PyfleetError("VALIDATION_FAILED", "Command has no resume value with the run's runId (pass the interrupt's resume_payload)");
    }
    const run = await this.opts.client.get(resume.runId);
    if (run.status === "awaiting_approval" && this.approver && run.approvalId) {
      const decision = resume.approved === true ? "approve" : "reject";
      const reason = typeof resume.reason === "string" && resume.reason ? resume.reason : `${decision}d in the conversation`;
      try {
        await this.approver.json("POST", `/v1/approvals/${encodeURIComponent(run.approvalId)}/decision`, {
          decision,
          codeHash: run.approval?.codeHash ?? resume.codeHash,
          reason,
        });
      } catch (err) {
        if (!isPyfleetError(err) || err.code !== "APPROVAL_ALREADY_DECIDED") throw err;
      }
    }
    return this.settle(await this.opts.client.wait(resume.runId, this.timeout()));
  }

  private settle(run: RunDetails): PythonServiceResult {
    if (run.status === "awaiting_approval") throw new GraphInterrupt([{ id: run.approvalId ?? run.runId, value: approvalValue(run) }]);
    const result = run.final?.result;
    if (run.status === "completed" && result) {
      return {
        // The producer shows no server paths: the folder is not named, files are relative to it.
        execution_result: { ...result, folder_path: null },
        generated_code: run.final?.code ?? "",
        generation_attempt: run.final?.attempts ?? run.attempts,
        analysis_warnings: [],
        runId: run.runId,
      };
    }
    const c = run.error?.code;
    const code: ErrorCode = run.status === "rejected" ? "APPROVAL_REJECTED" : c && c in ERROR_CODES ? (c as ErrorCode) : "RUNTIME_ERROR";
    throw new PyfleetError(code, `Python code execution failed: run ${run.runId} ended ${run.status}: ${run.error?.message ?? run.final?.reason ?? "no reason given"}`, {
      details: { runId: run.runId, status: run.status, error: run.error },
    });
  }

  private timeout() {
    return this.opts.waitTimeoutMs ? { timeoutMs: this.opts.waitTimeoutMs } : {};
  }
}

function approvalValue(run: RunDetails): ApprovalInterruptValue {
  const a = run.approval;
  const link = a?.notebookLink ? `Review Code: [Open Jupyter Notebook](${a.notebookLink})` : "Review the code below (no notebook link configured).";
  const user_message = [
    "⚠️ **HUMAN APPROVAL REQUIRED** ⚠️",
    `Task: ${a?.task ?? run.task}`,
    a?.reasoning || `Python code requires human approval for ${a?.executionMode ?? run.mode} mode`,
    link,
    "Reply **yes** to approve or **no** to reject.",
  ].join("\n\n");
  return {
    user_message,
    resume_payload: {
      approval_type: createApprovalType("python_executor"),
      runId: run.runId,
      approvalId: run.approvalId,
      codeHash: a?.codeHash ?? "",
      step_objective: a?.task ?? run.task,
      code: a?.code ?? "",
      execution_mode: a?.executionMode ?? run.mode,
      safety_concerns: (a?.findings ?? []).map((f) => f.message),
      notebook_path: a?.notebook?.path ?? null,
      notebook_link: a?.notebookLink ?? null,
      expected_results: a?.expectedResults ?? {},
    },
  };
}
