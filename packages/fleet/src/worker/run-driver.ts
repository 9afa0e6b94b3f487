import { performance } from "node:perf_hooks";
import {
  type ErrorCategory,
  type ExecutionMode,
  isTerminalStatus,
  PyfleetError,
  type RunRecord,
  type RunStatus,
  runLogger,
  type SignedDecision,
  type TokenUsage,
  toPyfleetError,
} from "@pyfleet/core";
import { graphThreadId, type NodeName, type RunRef, type RunView, runningStatus, type StepResult, stepResult } from "@pyfleet/workflow";
import type { FleetContext } from "../context.js";
import type { NewRunEvent } from "../runs/event-log.js";
import { type StageJob, stageJobId } from "../queues/job.js";
import { type QueueName, queueFor } from "../queues/queue-for.js";

/** What became of a job's hop (and the hops continued after it in-process). */
export type AdvanceOutcome = "dispatched" | "parked" | "finished" | "duplicate" | "cancelled" | "forwarded";

export interface AdvanceOptions {
  /** Queues this process serves: a next node owned by one of them runs here without a hop. */
  served: ReadonlySet<QueueName>;
  signal?: AbortSignal;
  /** Queue of the BullMQ job being run (its completion is counted by the worker; hops continued after it are counted here). */
  queue?: QueueName;
  /** Called before a node continues in-process, so a retry of the job resumes at that node. */
  onContinue?: (job: StageJob) => Promise<void>;
}

/** Thrown by a step's `onStart` when the run was cancelled before its node started (nothing written yet). */
const CANCELLED_BEFORE_START = new Error("run cancelled before its node started");

/** How long a resume claim holds off other resumes of the same parked step (ms). */
const RESUME_LEASE_MS = 15_000;

/**
 * `details.reason` of the `STEP_NOT_PENDING` a resume gets while another process holds the run's
 * resume lease: the holder is applying the decision, so the refusal is expected and short-lived.
 */
export const RESUME_IN_PROGRESS = "resume_in_progress";

/** A run record with the store's internals (step, pending job), as {@link RunStore.getWithInternals} reads it. */
type StoredRun = NonNullable<Awaited<ReturnType<FleetContext["runs"]["getWithInternals"]>>>;

export const refOf = (j: { threadId: string; checkpointNs: string }): RunRef => ({ threadId: j.threadId, checkpointNs: j.checkpointNs });

/**
 * Drives one run through the step-mode pipeline (ARCHITECTURE §2): runs the pending node,
 * continues in-process or dispatches the next one, parks at `approve`, finishes terminal runs.
 * The checkpoint is the one source of truth of where a run is: the pipeline's `expected` check
 * refuses a duplicate or late job before anything is written, the status comes from the
 * workflow's `runningStatus`/`deriveStatus`, and the run record follows.
 */
export class RunDriver {
  constructor(private readonly ctx: FleetContext) {}

  /** Runs the job's node and what follows it locally. Infrastructure errors propagate (job retry). */
  async advance(job: StageJob, opts: AdvanceOptions): Promise<AdvanceOutcome> {
    let cur = job;
    let first = true;
    // The queue whose hop runs now: metrics label nodes with it (finalize runs in the hop before
    // it), and a hop continued here into another served queue counts as a job of that queue.
    let hop = opts.queue ?? queueFor(job.node, job.mode ?? null);
    let continued = false;
    const endHop = <T>(outcome: T): T => {
      if (continued && opts.queue) this.ctx.observer?.jobFinished(hop, "completed");
      return outcome;
    };
    // The job data of a node continued in-process (see below); null for the delivered job.
    let handedOver: Promise<void> | null = null;
    // the node the previous step of this loop ran (null before the first)
    let ran: NodeName | null = null;
    for (;;) {
      if (first && cur.node !== "finalize" && !opts.served.has(queueFor(cur.node, cur.mode ?? null))) {
        if (await this.ctx.runs.isCancelled(cur.runId)) {
          await this.finishCancelled(cur.runId);
          return "cancelled";
        }
        // A retried job whose hop moved on (in-process continuation) to a queue not served here;
        // no step runs here, so the checkpoint is asked whether the hop is still pending.
        if (!(await this.isPending(cur))) return "duplicate";
        await this.dispatch(cur, "queued");
        return "forwarded";
      }
      const delivered = first;
      first = false;
      // The cancel check (and the job data of a continued node) go out with the step's checkpoint
      // read instead of a round trip each before it: the step runs no node and records nothing on
      // the run before `onStart`, and `onStart` waits for both (see runNode), so a cancelled run
      // still runs no node and a retry of the job still resumes at the node that runs here.
      const ready = Promise.all([this.ctx.runs.isCancelled(cur.runId), handedOver]).then(([cancelled]) => cancelled);
      // finalize continued right after execute: the record already says `executing` (execute's
      // `onStart`), so its start is not recorded again; the finish script writes the rest
      const recorded = !delivered && cur.node === "finalize" && ran === "execute";
      ran = cur.node;
      const result = await this.runNode(cur, hop, ready, recorded, opts.signal);
      if (result === "cancelled") return endHop(result);
      if (result === "duplicate") return endHop(delivered ? await this.continueOrphan(cur) : result);
      const next = await this.afterStep(cur, result, opts.served);
      if (typeof next === "string") return endHop(next);
      handedOver = opts.onContinue?.(next) ?? null;
      const nextQueue = queueFor(next.node, next.mode ?? null);
      if (next.node !== "finalize" && nextQueue !== hop) {
        endHop(null);
        hop = nextQueue;
        continued = hop !== opts.queue;
      }
      cur = next;
    }
  }

  /**
   * Resumes a run parked at `approve` with a signed decision, then dispatches what follows
   * (`finalize` after a rejection runs here).
   * Whether the run is parked is the checkpoint's to say (`pipeline.resume` refuses otherwise);
   * the run record only rules out runs that already ended (expired, cancelled, finished).
   * @throws PyfleetError `NOT_FOUND` for an unknown run, `STEP_NOT_PENDING` when it is not parked.
   */
  async resumeRun(runId: string, decision: SignedDecision): Promise<AdvanceOutcome> {
    const found = await this.ctx.runs.getWithInternals(runId);
    if (!found) throw new PyfleetError("NOT_FOUND", `run ${runId} not found`);
    const { record, internals } = found;
    if (isTerminalStatus(record.status)) {
      throw new PyfleetError("STEP_NOT_PENDING", `run ${runId} is ${record.status}, not awaiting approval`);
    }
    if (await this.ctx.runs.isCancelled(runId)) {
      await this.finishCancelled(runId);
      return "cancelled";
    }
    const cur: StageJob = { ...refOf(record), runId, node: "approve", step: internals.step, mode: record.mode };
    if (!(await this.ctx.runs.claimResume(runId, internals.step, decision.approvalId, RESUME_LEASE_MS))) {
      throw new PyfleetError("STEP_NOT_PENDING", `run ${runId} is being resumed by another process (step ${internals.step})`, {
        details: { reason: RESUME_IN_PROGRESS },
      });
    }
    let result: StepResult;
    try {
      result = await this.ctx.pipeline.resume(refOf(record), decision);
    } catch (err) {
      if (err instanceof PyfleetError && err.code === "STEP_NOT_PENDING") {
        // The checkpoint is not parked: a process applied a decision and stopped before it
        // recorded what follows (the record still parked), or after it recorded the next hop
        // and before it enqueued it (the record `queued` at that hop, no job: chaos, approver
        // SIGKILLed mid-resume). Either way the decision is never marked delivered, so the sweep
        // comes back here; reconcile brings record and queue in line with the checkpoint. The
        // resume claim rules out a live resumer; a live router is kept out by the job ids.
        const view = await this.ctx.pipeline.getRun(refOf(record));
        if (view && !view.interrupt) {
          const applied = view.state.decision;
          const ours = applied?.approvalId === decision.approvalId && applied.signature === decision.signature;
          if (ours && record.status === "awaiting_approval") {
            this.decided(record, decision, view.status);
            await this.emitStatus(runId, view.status, view.next, { decision: decision.decision, approvalId: decision.approvalId });
          }
          const outcome = await this.reconcile(found, view);
          if (ours) return outcome;
        }
      }
      if (err instanceof PyfleetError || this.ctx.redis.status !== "ready" || /ReplyError|MaxRetriesPerRequestError/.test((err as Error).name)) throw err;
      // Redis answers but the checkpoint cannot be resumed from (it does not decode): it never
      // will, so end this run with a clear error instead of leaving it parked for the sweeper to
      // retry forever. Our own refusals and Redis outages stay errors the caller retries.
      await this.finishFailed(runId, new PyfleetError("RECORD_CORRUPT", `the checkpoint of run ${runId} is unreadable (${String((err as Error).message).slice(0, 200)}); the decision was not applied`, { retryable: false }));
      return "finished";
    }
    this.decided(record, decision, result.status);
    await this.emitStatus(runId, result.status, result.next, { decision: decision.decision, approvalId: decision.approvalId });
    const next = await this.afterStep(cur, result, new Set());
    if (typeof next === "string") return next;
    // The resume itself moved the run on: record that, so the in-process continuation
    // (finalize after a rejection) is not mistaken for a late duplicate of the parked step.
    await this.ctx.runs.update(runId, { status: runningStatus(next.node), stage: next.node, step: next.step, pendingJob: null }, this.now());
    return this.advance(next, { served: new Set() });
  }

  private decided(record: RunRecord, decision: SignedDecision, status: RunStatus): void {
    runLogger(this.ctx.logger, { runId: record.runId, stage: "approve", attempt: record.attempts }).info(
      { decision: decision.decision, approvalId: decision.approvalId, status },
      "approval decided",
    );
    this.ctx.observer?.approvalDecided?.(decision.decision, (this.now().getTime() - Date.parse(record.updatedAt)) / 1000);
  }

  /**
   * A delivered job the checkpoint refused as not pending: a late duplicate, or the redelivery of
   * a job whose process died after its step reached the checkpoint and before it routed the result
   * (chaos: an analyze worker SIGKILLed there left its run `analyzing` for good, since every
   * redelivery was dropped as a duplicate and nothing else dispatches). {@link reconcile} tells
   * them apart. A parked record is left to the approver (a resume may be in flight; its sweep
   * repairs a parked run whose checkpoint moved on, under the resume claim).
   */
  private async continueOrphan(job: StageJob): Promise<AdvanceOutcome> {
    const found = await this.ctx.runs.getWithInternals(job.runId);
    if (!found || found.record.status === "awaiting_approval") return "duplicate";
    const view = await this.ctx.pipeline.getRun(refOf(job));
    if (!view) return "duplicate";
    return this.reconcile(found, view, job.mode);
  }

  /**
   * Brings the run record and the queue in line with the checkpoint (the one source of truth)
   * when a process stopped between its checkpoint write and what follows it: the record write
   * and the hop dispatch. Both repairs of that situation come here: a redelivered job the
   * checkpoint refused ({@link continueOrphan}) and a resume of a decision the checkpoint already
   * holds ({@link resumeRun}). The record's stage and step say where the stopped process stood:
   * - the checkpoint still waits for that node (dispatched, or started in-process, by a process
   *   that may have died before the job was added): its hop is (re)dispatched under its
   *   deterministic job id, so BullMQ adds nothing when the job exists (a true duplicate);
   * - the checkpoint moved past it (its routing never happened): the next hop is dispatched,
   *   never run here, since the job id keeps a router that is stalled but live from adding a
   *   second one; a parked or finished checkpoint is parked or finished.
   * A record that already ended, or is parked on a parked checkpoint, needs nothing ("duplicate").
   */
  private async reconcile(found: StoredRun, view: RunView, jobMode?: ExecutionMode | null): Promise<AdvanceOutcome> {
    const { record, internals } = found;
    if (isTerminalStatus(record.status) || !record.stage) return "duplicate";
    if (view.interrupt && record.status === "awaiting_approval") return "duplicate";
    const result = stepResult(null, view);
    const at: StageJob = { ...refOf(view.ref), runId: record.runId, node: record.stage as NodeName, step: internals.step, mode: record.mode ?? jobMode ?? null };
    const log = runLogger(this.ctx.logger, { runId: record.runId, stage: at.node, attempt: record.attempts });
    if (view.next !== null && !view.interrupt && view.next === record.stage) {
      const pending: StageJob = { ...at, mode: result.mode };
      const jobId = stageJobId(pending.runId, pending.step, pending.node);
      if (internals.pendingJob?.jobId === jobId) await this.ctx.dispatcher.dispatch(pending);
      else await this.dispatch(pending, "queued");
      log.info({ pending: view.next, jobId }, "the run's pending hop is (re)dispatched under its job id");
      return "dispatched";
    }
    log.warn({ ran: record.stage, pending: view.next, parked: Boolean(view.interrupt) }, "a step reached the checkpoint but its process stopped before routing it; continuing the run");
    if (view.next !== null && !view.interrupt) {
      const next: StageJob = { ...at, node: view.next, step: at.step + 1, mode: result.mode };
      await this.dispatch(next, "queued", this.statusEvent(record.runId, "queued", next.node));
      return "dispatched";
    }
    const out = await this.afterStep(at, result, new Set());
    return typeof out === "string" ? out : "duplicate";
  }

  /**
   * Enqueues a hop after recording it on the run (so a cancel can find and drop the job), in one
   * round trip: the job's add is issued after the record patch and the run's events emitted
   * before it (the `queued` status), on the one connection, so Redis applies them first and a
   * worker never meets the job before the record names it or the events before its own. A
   * failed patch fails the hop (the job is retried, and the run reconciled from its checkpoint).
   * `event` (the hop's `queued` status) is appended by the patch's own script, after the record.
   */
  async dispatch(job: StageJob, status: RunStatus, event?: NewRunEvent): Promise<void> {
    const queue = queueFor(job.node, job.mode ?? null);
    const pendingJob = { queue, jobId: stageJobId(job.runId, job.step, job.node) };
    const patch = { status, stage: job.node, step: job.step, pendingJob, mode: job.mode ?? null };
    if (event) {
      // the event rides in the patch's script (one command less), issued after the run's earlier
      // events; the add is issued right after it, without waiting for its reply
      await this.ctx.sink.settled(job.runId);
      const at = this.now();
      await Promise.all([this.ctx.runs.updateWithEvent(job.runId, patch, at, this.ctx.events.entry(event, at)), this.ctx.dispatcher.dispatch(job)]);
      return;
    }
    // both awaited at once: a patch that fails while the add waits for the events is not left unhandled
    await Promise.all([this.ctx.runs.update(job.runId, patch, this.now()), this.ctx.sink.issued(job.runId).then(() => this.ctx.dispatcher.dispatch(job))]);
  }

  /** The `status` event of a run entering `status` at `node`. */
  private statusEvent(runId: string, status: RunStatus, node: NodeName | null, extra: Record<string, unknown> = {}): NewRunEvent {
    return { runId, type: "status", stage: node, data: { status, ...extra } };
  }

  /** Ends a run as `cancelled` (no-op when it already ended). */
  async finishCancelled(runId: string): Promise<void> {
    const error = { code: "CANCELLED", category: "validation" as const, message: "run cancelled on request" };
    await this.finishWith(runId, "cancelled", { error }, null);
  }

  /** Ends a run as `failed` (or `outcome_unknown`) with the cause. */
  async finishFailed(runId: string, err: unknown, status: RunStatus = "failed"): Promise<void> {
    const e = toPyfleetError(err);
    await this.finishWith(runId, status, { error: { code: e.code, category: e.category, message: e.message } }, null);
  }

  /** Whether the job's node is the one the run's thread waits for (for a job no step runs for). */
  private async isPending(job: StageJob): Promise<boolean> {
    const view = await this.ctx.pipeline.getRun(refOf(job));
    const current = view !== null && view.next === job.node && !view.interrupt;
    if (!current) this.logDuplicate(job, { pending: view?.next ?? null, parked: Boolean(view?.interrupt) });
    return current;
  }

  private logDuplicate(job: StageJob, details: Record<string, unknown> | undefined): void {
    this.ctx.logger.info({ runId: job.runId, stage: job.node, step: job.step, ...details }, "duplicate or late job dropped");
  }

  /**
   * Runs the job's node. The pipeline refuses a node that is not pending (a duplicate or late
   * job) before anything is written; only then is the run recorded as running (`onStart`).
   * `ready` (issued with the pipeline's checkpoint read) resolves true when the run is cancelled:
   * a cancelled run ends `cancelled` before anything is written, whether or not its node is pending.
   * `recorded`: the record and the events already show the node's running status (a node
   * continued in-process after one with the same status), so `onStart` writes nothing.
   */
  private async runNode(
    job: StageJob,
    queue: QueueName,
    ready: Promise<boolean>,
    recorded: boolean,
    signal?: AbortSignal,
  ): Promise<StepResult | "duplicate" | "cancelled"> {
    const t0 = performance.now();
    // observed here so a step that fails before `onStart` leaves no unhandled rejection behind
    const cancelledFirst = ready.then(
      (cancelled) => cancelled,
      () => false,
    );
    const onStart = async () => {
      if (await ready) throw CANCELLED_BEFORE_START;
      if (recorded) return;
      const status = runningStatus(job.node);
      // the record and then its status event, in one script, after the run's earlier events
      await this.ctx.sink.settled(job.runId);
      const at = this.now();
      await this.ctx.runs.updateWithEvent(job.runId, { status, stage: job.node, step: job.step, pendingJob: null }, at, this.ctx.events.entry(this.statusEvent(job.runId, status, job.node), at));
    };
    try {
      const result = await this.ctx.pipeline.step(refOf(job), { expected: job.node, onStart, ...(signal ? { signal } : {}) });
      // settled already when the node ran; a step that had nothing to run never called `onStart`
      if (await ready) {
        await this.finishCancelled(job.runId);
        return "cancelled";
      }
      this.ctx.observer?.nodeFinished(job.node, queue, (performance.now() - t0) / 1000, "ok");
      if (result.usage) this.observeLlm(job, result.usage);
      return result;
    } catch (err) {
      if (err === CANCELLED_BEFORE_START || (await cancelledFirst)) {
        await this.finishCancelled(job.runId);
        return "cancelled";
      }
      await ready; // a failed cancel check or job update is the job's error (retried)
      const e = toPyfleetError(err);
      if (e.code === "STEP_NOT_PENDING") {
        this.logDuplicate(job, e.details);
        return "duplicate";
      }
      // No checkpoint and no record: the run's retention passed (both expired) and this is a late
      // duplicate of one of its hops, not a failure of a run anyone can still see.
      if (e.code === "NOT_FOUND" && !(await this.ctx.runs.get(job.runId))) {
        this.logDuplicate(job, { reason: "the run's retention has passed" });
        return "duplicate";
      }
      this.ctx.observer?.nodeFinished(job.node, queue, (performance.now() - t0) / 1000, "error");
      if (signal?.aborted || (await this.ctx.runs.isCancelled(job.runId))) {
        await this.finishCancelled(job.runId);
        return "cancelled";
      }
      throw e;
    }
  }

  /** Routes a step's result: park, finish, dispatch, or hand back the next hop to run here. */
  private async afterStep(cur: StageJob, result: StepResult, served: ReadonlySet<QueueName>): Promise<AdvanceOutcome | StageJob> {
    if (result.interrupt) {
      await this.park(cur, result);
      return "parked";
    }
    if (result.next === null) {
      await this.finish(cur, result);
      return "finished";
    }
    const next: StageJob = { ...cur, node: result.next, step: cur.step + 1, mode: result.mode };
    if (next.node === "finalize" || served.has(queueFor(next.node, next.mode ?? null))) return next;
    // the record's pendingJob with the event, then the job add, go out in one round trip, in that
    // order (see dispatch), so the next stage's events follow
    await this.dispatch(next, "queued", this.statusEvent(cur.runId, "queued", next.node));
    return "dispatched";
  }

  /**
   * Parks the run: the approval record and the run's `awaiting_approval` are one transaction, so
   * a decision (which needs the record) never meets a run that does not look parked yet.
   */
  private async park(cur: StageJob, result: StepResult): Promise<void> {
    const req = result.interrupt!;
    const step = result.next === cur.node ? cur.step : cur.step + 1;
    const parked = (approvalId: string | null) =>
      ({ status: "awaiting_approval", stage: "approve", step, mode: result.mode, attempts: req.attempt, approvalId, pendingJob: null }) as const;
    const at = this.now();
    let approval: { id: string } | null = null;
    if (this.ctx.approvals) {
      approval = await this.ctx.approvals.create(req, { checkpointNs: cur.checkpointNs }, (tx, approvalId) => {
        this.ctx.runs.queueUpdate(tx, cur.runId, parked(approvalId), at);
      });
    } else await this.ctx.runs.update(cur.runId, parked(null), at);
    await this.ctx.sink.emit({
      runId: cur.runId,
      type: "approval",
      stage: "approve",
      attempt: req.attempt,
      data: { approvalId: approval?.id ?? null, codeHash: req.codeHash, executionMode: req.executionMode, kernelName: req.kernelName },
    });
    await this.emitStatus(cur.runId, "awaiting_approval", "approve");
    runLogger(this.ctx.logger, { runId: cur.runId, stage: "approve", attempt: req.attempt }).info(
      { approvalId: approval?.id ?? null, executionMode: req.executionMode },
      "run parked for approval",
    );
  }

  private async finish(cur: StageJob, result: StepResult): Promise<void> {
    const final = result.final;
    let error: RunRecord["error"] = null;
    if (result.status !== "completed") {
      const last = result.lastError;
      error = last
        ? { code: last.code, category: last.category, message: final?.reason ?? last.message }
        : { code: result.status.toUpperCase(), category: categoryOf(result.status), message: final?.reason ?? result.status };
    }
    const r = final?.result ?? null;
    const resultSummary = r
      ? { resultKeys: Object.keys(r.results), figureCount: r.figure_paths.length, notebookPath: r.notebook_path, notebookLink: r.notebook_link }
      : null;
    const writes = (r?.writes ?? []).map((w) => w.status);
    await this.finishWith(cur.runId, result.status, { error, resultSummary, attempts: final?.attempts ?? 0, mode: result.mode }, cur, writes);
  }

  /** Reports the LLM call of the attempt just generated (its usage comes with the step); never fails the run. */
  private observeLlm(job: StageJob, usage: TokenUsage): void {
    try {
      this.ctx.observer?.llmCall?.(usage);
    } catch (err) {
      this.ctx.logger.warn({ err, runId: job.runId, stage: job.node }, "LLM usage not observed");
    }
  }

  /**
   * Ends the run: the record's final patch, then its terminal `status` and `finished` events and
   * their stream's retention, in one script (after the run's earlier events), and the thread's
   * checkpoints retired. `finished` carries the final record's `resultSummary` and `error`: the
   * patch's, since only a finish sets `resultSummary` and a run that already ended gets neither
   * the patch nor the events. With the job known, the thread is retired in the same socket write
   * instead of after the script's reply (retiring is idempotent, and a run that had already ended
   * was retired by whatever ended it).
   */
  private async finishWith(runId: string, status: RunStatus, patch: Partial<RunRecord> & Pick<RunRecord, "error">, job: StageJob | null, writeOutcomes: string[] = []): Promise<void> {
    await this.ctx.sink.settled(runId);
    const at = this.now();
    const finished: NewRunEvent = { runId, type: "finished", stage: null, data: { status, resultSummary: patch.resultSummary ?? null, error: patch.error } };
    const end = {
      bodies: [this.statusEvent(runId, status, null), finished].map((e) => this.ctx.events.entry(e, at).body),
      maxLen: this.ctx.config.runs.events_maxlen,
      ttlSeconds: this.ctx.config.runs.retention_seconds,
    };
    const finishing = this.ctx.runs.finish(runId, status, { ...patch, stage: null }, at, job?.threadId, end);
    const retiring = job ? this.retire(job) : null;
    const [rec] = await Promise.all([finishing, retiring]);
    if (!rec) return;
    const durationMs = Date.parse(rec.finishedAt ?? rec.updatedAt) - Date.parse(rec.createdAt);
    this.ctx.observer?.runFinished?.({ status, mode: rec.mode ?? null, seconds: durationMs / 1000, writeOutcomes });
    runLogger(this.ctx.logger, { runId, attempt: rec.attempts }).info(
      { status, errorCode: rec.error?.code ?? null, durationMs },
      "run finished",
    );
    if (!job) await this.retire(rec);
  }

  /** Retires the run's thread (its latest checkpoint kept, with the retention clock). */
  private async retire(ref: StageJob | RunRecord): Promise<void> {
    await this.ctx.expireThread?.(graphThreadId(refOf(ref)), this.ctx.config.checkpointer.retention_seconds);
  }

  private async emitStatus(runId: string, status: RunStatus, node: NodeName | null, extra: Record<string, unknown> = {}): Promise<void> {
    await this.ctx.sink.emit(this.statusEvent(runId, status, node, extra));
  }

  private now(): Date {
    return this.ctx.clock.now();
  }
}

function categoryOf(status: RunStatus): ErrorCategory {
  if (status === "rejected" || status === "approval_expired") return "approval";
  if (status === "outcome_unknown") return "policy";
  return "infrastructure";
}
