import { randomUUID } from "node:crypto";
import {
  type ExecutionMethod,
  makeRequestSchema,
  newRunRecord,
  parseOrThrow,
  PyfleetError,
  type PythonExecutionRequest,
  requestLimitsFrom,
  type RunRecord,
  type RunStatus,
  runLogger,
  type SignedDecision,
  isTerminalStatus,
  toPyfleetError,
} from "@pyfleet/core";
import type { ApprovalRequest, Attempt, ErrorChainEntry, FinalResult, RunEvent } from "@pyfleet/core";
import type { FleetContext } from "./context.js";
import { type AgedJobsCleaned, cleanAgedJobs } from "./queues/aged-jobs.js";
import type { QueueName } from "./queues/queue-for.js";
import type { TailOptions } from "./runs/event-log.js";
import { lastRunChangeId, type RunChangeTailOptions, tailRunChanges } from "./runs/run-changes.js";
import type { Reconciliation, RunListPage } from "./runs/run-store.js";
import type { AdvanceOutcome, RunDriver } from "./worker/run-driver.js";
import type { StageWorkers } from "./worker/stage-workers.js";

/** Reply to a submitted run. */
export interface SubmittedRun {
  runId: string;
  threadId: string;
  status: RunStatus;
}

export interface SubmitOptions {
  /** Identity of the caller (from the producer's token); wins over `request.requester`. */
  requester?: string;
  /** Per-request backend (`configurable.execution_method`). */
  executionMethod?: ExecutionMethod;
}

/**
 * A run record plus what the run's checkpoint holds: the final result once finished, the approval
 * payload while parked, every attempt (`attemptList`: code, analysis, outcome), the error chain and the request
 * (its `capability_context_data` left out: it can be megabytes; `contextBytes` says how big).
 */
export type RunDetails = RunRecord & {
  final: FinalResult | null;
  folderPath: string | null;
  approval: ApprovalRequest | null;
  attemptList: Attempt[];
  errorChain: ErrorChainEntry[];
  request: (Omit<PythonExecutionRequest, "capability_context_data"> & { contextBytes: number }) | null;
};

/**
 * One fleet process: submit runs, read and cancel them, resume approvals, and (when started
 * with stages) serve the stage queues. Built by {@link createFleet}; `close()` is idempotent.
 */
export class Fleet {
  private closing: Promise<void> | null = null;

  /** The request schema of this fleet's limits (config is fixed for the fleet's life). */
  private requestSchema: ReturnType<typeof makeRequestSchema> | undefined;

  constructor(
    private readonly ctx: FleetContext,
    private readonly driver: RunDriver,
    private readonly workers: StageWorkers | null,
    private readonly servedQueues: readonly QueueName[],
    private readonly closers: Array<() => Promise<void>>,
  ) {}

  /** Queues this process consumes. */
  get queues(): readonly QueueName[] {
    return this.servedQueues;
  }

  /** Jobs running in this process now. */
  get activeJobs(): number {
    return this.workers?.active ?? 0;
  }

  /**
   * Validates and stores a new run, stores its input in the checkpointer and enqueues its first node.
   * @throws PyfleetError `VALIDATION_FAILED` (issues with paths), `THREAD_HAS_RUN` (details.runId).
   */
  async submit(input: unknown, opts: SubmitOptions = {}): Promise<SubmittedRun> {
    // Everything that can reject the request is checked before the run record exists, so an
    // invalid request never leaves a run behind.
    // built once: a zod schema compiles its parser on first use, ~0.5 ms that every submit paid
    this.requestSchema ??= makeRequestSchema(requestLimitsFrom(this.ctx.config));
    const request: PythonExecutionRequest = parseOrThrow(this.requestSchema, input, "request");
    for (const method of [request.execution_method, opts.executionMethod]) this.checkMethodAllowed(method);
    const runId = randomUUID();
    const threadId = request.thread_id ?? `run-${runId}`;
    const checkpointNs = request.checkpoint_ns ?? "";
    if (request.thread_id !== undefined) await this.checkThreadUnused(threadId, checkpointNs);
    await this.ctx.runs.create(
      newRunRecord({
        runId,
        threadId,
        checkpointNs,
        requester: opts.requester ?? request.requester ?? "anonymous",
        task: request.task_objective,
        at: this.ctx.clock.now().toISOString(),
        method: opts.executionMethod ?? request.execution_method ?? this.ctx.config.execution.execution_method,
      }),
    );
    try {
      const started = await this.ctx.pipeline.startRun({
        runId,
        request: { ...request, requester: opts.requester ?? request.requester },
        threadId,
        checkpointNs,
        ...(opts.executionMethod ? { executionMethod: opts.executionMethod } : {}),
      });
      runLogger(this.ctx.logger, { runId, attempt: 0 }).info({ next: started.next, providedCode: Boolean(request.code) }, "run submitted");
      // as after a step (RunDriver.afterStep): the record's pendingJob with the event, then the
      // job add, go out in one round trip, the job last (RunDriver.dispatch)
      await this.driver.dispatch(
        { runId, threadId: started.ref.threadId, checkpointNs: started.ref.checkpointNs, node: started.next, step: 0, mode: null },
        "queued",
        { runId, type: "status", stage: null, data: { status: "queued", next: started.next } },
      );
    } catch (err) {
      await this.driver.finishFailed(runId, err);
      throw toPyfleetError(err);
    }
    return { runId, threadId, status: "queued" };
  }

  /**
   * `execution.allowed_methods` holds at submit too, not only when the executor is picked: a run
   * the registry would refuse later is a 400 now.
   */
  private checkMethodAllowed(method: ExecutionMethod | undefined): void {
    const allowed = this.ctx.config.execution.allowed_methods;
    if (method === undefined || allowed.includes(method)) return;
    const message = `execution_method ${method} is not allowed here; execution.allowed_methods: ${allowed.join(", ")}`;
    throw new PyfleetError("VALIDATION_FAILED", `invalid request: ${message}`, { issues: [{ path: "execution_method", message }] });
  }

  /**
   * A thread whose checkpoint outlived its run record (`runs.retention_seconds` shorter than the
   * checkpointer's) is refused here, before a record exists; `runs.create` guards the live ones.
   */
  private async checkThreadUnused(threadId: string, checkpointNs: string): Promise<void> {
    const existing = await this.ctx.pipeline.getRun({ threadId, checkpointNs });
    if (!existing) return;
    const runId = existing.state.runId;
    throw new PyfleetError("THREAD_HAS_RUN", `thread_id ${threadId} already has run ${runId}`, {
      details: { runId, threadId, checkpointNs },
      issues: [{ path: "thread_id", message: `already used by run ${runId}` }],
    });
  }

  /** The run record, or null. */
  get(runId: string): Promise<RunRecord | null> {
    return this.ctx.runs.get(runId);
  }

  /** The run record with the final result once terminal and the approval payload while parked. */
  async details(runId: string): Promise<RunDetails | null> {
    const rec = await this.ctx.runs.get(runId);
    if (!rec) return null;
    let view: Awaited<ReturnType<FleetContext["pipeline"]["getRun"]>>;
    try {
      view = await this.ctx.pipeline.getRun({ threadId: rec.threadId, checkpointNs: rec.checkpointNs });
    } catch (err) {
      throw new PyfleetError("RECORD_CORRUPT", `the checkpoint of run ${runId} (thread ${rec.threadId}) is unreadable: ${(err as Error).message.slice(0, 200)}`, { retryable: false });
    }
    const state = view?.state;
    let request: RunDetails["request"] = null;
    if (state?.request) {
      const { capability_context_data: ctx, ...rest } = state.request;
      request = { ...rest, contextBytes: ctx == null ? 0 : Buffer.byteLength(JSON.stringify(ctx), "utf8") };
    }
    return {
      ...rec,
      final: state?.final ?? null,
      folderPath: state?.folderPath ?? null,
      approval: view?.interrupt ?? null,
      attemptList: state?.attempts ?? [],
      errorChain: state?.errorChain ?? [],
      request,
    };
  }

  list(opts: { status?: RunStatus; limit: number; cursor?: string | null }): Promise<RunListPage> {
    return this.ctx.runs.list(opts);
  }

  /**
   * Cancels a run: sets the flag workers watch, drops its queued job, cancels its pending
   * approval. A run being worked on ends `cancelled` when its worker sees the flag.
   * @throws PyfleetError `NOT_FOUND` for an unknown run.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const found = await this.ctx.runs.getWithInternals(runId);
    if (!found) throw new PyfleetError("NOT_FOUND", `run ${runId} not found`);
    const { record, internals } = found;
    if (isTerminalStatus(record.status)) return record;
    await this.ctx.runs.requestCancel(runId, this.ctx.clock.now());
    if (record.status === "awaiting_approval") {
      if (record.approvalId && this.ctx.approvals) {
        try {
          await this.ctx.approvals.cancel(record.approvalId, "run cancelled");
        } catch (err) {
          // A producer whose Redis user may not write approvals (ACL): the approval stays pending
          // until it expires, and a decision for the cancelled run is refused when it arrives.
          if (!/NOPERM/.test((err as Error).message)) throw err;
        }
      }
      await this.driver.finishCancelled(runId);
    } else if (internals.pendingJob && (await this.ctx.dispatcher.removeQueued(internals.pendingJob))) {
      await this.driver.finishCancelled(runId);
    }
    return (await this.ctx.runs.get(runId)) ?? record;
  }

  /**
   * Resumes a run parked at `approve` with a signed decision (called by the approver), then
   * dispatches the next node.
   */
  resumeRun(runId: string, decision: SignedDecision): Promise<AdvanceOutcome> {
    return this.driver.resumeRun(runId, decision);
  }

  /**
   * Finishes submissions whose producer died in the middle (a crash never loses a run): a run
   * still `queued` at its first hop `graceMs` after it was created, whose job is not in its queue,
   * is dispatched again (same job id: a job that appeared meanwhile is not doubled). A run that
   * never reached its first hop (the producer died before the graph started, so it never answered
   * 202) ends `failed` with `INTERNAL` and a sentence. Looks at runs created in the last `windowMs`.
   */
  async recoverSubmissions(graceMs: number, windowMs = 6 * 3_600_000): Promise<{ redispatched: number; failed: number }> {
    const now = this.ctx.clock.now().getTime();
    const ids = await this.ctx.runs.createdBetween(now - windowMs, now - graceMs);
    let redispatched = 0;
    let failed = 0;
    for (const runId of ids) {
      const found = await this.ctx.runs.getWithInternals(runId).catch((err: PyfleetError) => {
        if (err.code === "RECORD_CORRUPT") return null;
        throw err;
      });
      if (found?.record.status !== "queued" || found.internals.step !== 0) continue;
      const { record, internals } = found;
      if (!internals.pendingJob || record.stage === null) {
        await this.driver.finishFailed(
          runId,
          new PyfleetError("INTERNAL", "the producer stopped while accepting this run, before it was queued; nothing ran: submit it again"),
        );
        failed++;
        continue;
      }
      if (await this.ctx.dispatcher.queue(internals.pendingJob.queue).getJob(internals.pendingJob.jobId)) continue;
      await this.ctx.dispatcher.dispatch({ runId, threadId: record.threadId, checkpointNs: record.checkpointNs, node: record.stage, step: 0, mode: record.mode });
      redispatched++;
    }
    return { redispatched, failed };
  }

  /**
   * Settles a run that ended `outcome_unknown` (an admin checked the machine).
   * @throws PyfleetError NOT_FOUND, RUN_NOT_RECONCILABLE (see {@link RunStore.reconcile}).
   */
  reconcile(runId: string, input: Reconciliation, by: string): Promise<{ status: RunStatus }> {
    return this.ctx.runs.reconcile(runId, input, by, this.ctx.clock.now());
  }

  /** The run's events after stream id `after` (exclusive; "0" = from the start), oldest first. */
  events(runId: string, after = "0", count?: number): Promise<RunEvent[]> {
    return this.ctx.events.read(runId, after, count);
  }

  /**
   * Follows the run's events after `after` as they are appended (batches; an empty batch after
   * each wait without news), until `opts.signal` aborts. See {@link RunEventLog.tail}.
   */
  tail(runId: string, after = "0", opts: TailOptions = {}): AsyncGenerator<RunEvent[]> {
    return this.ctx.events.tail(runId, after, opts);
  }

  /** Id of the newest run change ("0-0" when none): follow {@link tailRunChanges} from here to miss nothing after it. */
  lastRunChange(): Promise<string> {
    return lastRunChangeId(this.ctx.redis, this.ctx.keys);
  }

  /**
   * Follows the run-change stream (a run id for every write of its record) after `after`:
   * batches of changed run ids, an empty batch after each wait without news, until
   * `opts.signal` aborts. See {@link tailRunChanges}.
   */
  tailRunChanges(after: string, opts: RunChangeTailOptions = {}): AsyncGenerator<string[]> {
    return tailRunChanges(this.ctx.redis, this.ctx.keys, after, opts);
  }

  /** Whether the fleet's Redis connection is up now (no round trip: for fast 503s). */
  get redisReady(): boolean {
    return this.ctx.redis.status === "ready";
  }

  /** Ends a run parked at `approve` whose approval expired (status `approval_expired`). */
  async expireRun(runId: string, reason: string): Promise<void> {
    await this.driver.finishFailed(runId, new PyfleetError("APPROVAL_EXPIRED", reason), "approval_expired");
  }

  /**
   * Removes run-index entries of runs whose retention ran out, oldest first, looking at up to
   * `limit` entries (default 500). Called by the approver's sweep. @returns entries removed.
   */
  pruneRunIndex(limit = 500): Promise<number> {
    return this.ctx.runs.pruneIndex(limit);
  }

  /**
   * Removes threads whose retention ran out from the checkpointer's cross-thread index, which
   * otherwise keeps an idle fleet's last retention window until the next run ends. Called by the
   * approver's sweep. @returns entries removed (0 when the checkpointer keeps no index).
   */
  pruneThreadIndex(): Promise<number> {
    return this.ctx.pruneThreadIndex?.() ?? Promise.resolve(0);
  }

  /**
   * Removes the finished stage jobs of runs whose retention ran out (up to `limit` per queue and
   * state, default 1000) and trims stream entries older than the retention. Called by the
   * approver's sweep. See {@link cleanAgedJobs}.
   */
  cleanAgedJobs(limit = 1000): Promise<AgedJobsCleaned> {
    const { redis, keys, dispatcher, config } = this.ctx;
    return cleanAgedJobs({ redis, keys, queues: dispatcher.queues, retentionSeconds: config.runs.retention_seconds }, limit);
  }

  /** Job counts of every queue by state (for metrics and `/readyz`). */
  async queueCounts(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const [name, q] of this.ctx.dispatcher.queues) {
      out[name] = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed");
    }
    return out;
  }

  /** Pings Redis; throws when it does not answer. */
  async ping(): Promise<void> {
    await this.ctx.redis.ping();
  }

  /**
   * Stops taking jobs, waits up to `queues.drain_seconds` for in-flight work, then closes every
   * connection. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.workers?.close(this.ctx.config.queues.drain_seconds * 1000);
    await this.ctx.sink.flush();
    await this.ctx.dispatcher.close();
    for (const c of this.closers) {
      await c().catch((err: unknown) => this.ctx.logger.warn({ err }, "close step failed"));
    }
    await this.ctx.redis.quit().catch(() => this.ctx.redis.disconnect());
  }
}
