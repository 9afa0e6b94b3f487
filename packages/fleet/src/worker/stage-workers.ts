import { PyfleetError, toPyfleetError } from "@pyfleet/core";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { tuningFor, isWriteQueue } from "../queues/catalog.js";
import { StageJobSchema } from "../queues/job.js";
import type { QueueName } from "../queues/queue-for.js";
import type { FleetContext } from "../context.js";
import type { AdvanceOutcome, RunDriver } from "./run-driver.js";
import { recoverStalledWrite } from "./stalled-write.js";

export interface StageWorkersOptions {
  queues: readonly QueueName[];
  /** Overrides the configured per-queue concurrency. */
  concurrency?: number;
  /** How often running runs are checked for a cancel flag. */
  cancelPollMs?: number;
}

/**
 * One BullMQ Worker per served queue, all sharing the fleet's context. Each job runs its node
 * through the RunDriver with an AbortSignal that fires when the run is cancelled.
 */
export class StageWorkers {
  private readonly workers: Worker[] = [];
  private readonly inflight = new Map<string, AbortController>();
  private readonly served: ReadonlySet<QueueName>;
  private watcher: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly ctx: FleetContext,
    private readonly driver: RunDriver,
    private readonly opts: StageWorkersOptions,
  ) {
    this.served = new Set(opts.queues);
  }

  /** Starts consuming every served queue. */
  async start(): Promise<void> {
    if (this.served.has("execute.write_access")) await this.ctx.dispatcher.applyWriteCap();
    for (const queue of this.served) {
      const w = new Worker(queue, (job, token) => this.process(queue, job, token), {
        connection: this.ctx.redis,
        prefix: this.ctx.keys.bullPrefix,
        concurrency: this.opts.concurrency ?? Math.max(1, tuningFor(this.ctx.config, queue).concurrency),
        maxStalledCount: isWriteQueue(queue) ? 0 : 1,
        lockDuration: this.ctx.config.queues.lock_seconds * 1000,
        stalledInterval: this.ctx.config.queues.stalled_check_seconds * 1000,
        autorun: false,
      });
      w.on("failed", (job) => void this.onFailed(queue, job));
      w.on("completed", () => this.ctx.observer?.jobFinished(queue, "completed"));
      w.on("error", (err) => this.ctx.logger.error({ err, queue }, "queue worker error"));
      this.workers.push(w);
      void w.run();
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.watcher = setInterval(() => void this.pollCancels(), this.opts.cancelPollMs ?? 200);
    this.watcher.unref();
  }

  /** Number of jobs running in this process now. */
  get active(): number {
    return this.inflight.size;
  }

  /**
   * Stops taking jobs and waits up to `drainMs` for in-flight ones; after that, workers are
   * closed forcefully (their jobs stall and are picked up again elsewhere). Idempotent.
   */
  close(drainMs: number): Promise<void> {
    this.closing ??= this.doClose(drainMs);
    return this.closing;
  }

  private async doClose(drainMs: number): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.workers.map((w) => w.close())).then(() => true);
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), drainMs);
    });
    const ok = await Promise.race([drained, timeout]);
    clearTimeout(timer);
    if (!ok) {
      this.ctx.logger.warn({ inflight: this.inflight.size, drainMs }, "drain time over; closing workers forcefully");
      await Promise.all(this.workers.map((w) => w.close(true)));
    }
  }

  private async process(queue: QueueName, job: Job, _token?: string): Promise<AdvanceOutcome> {
    const data = StageJobSchema.parse(job.data);
    const ac = new AbortController();
    this.inflight.set(data.runId, ac);
    // made only when a line is written: a finished job writes none at info
    const log = () => this.ctx.logger.child({ runId: data.runId, stage: data.node, attempt: job.attemptsMade + 1, queue });
    try {
      const outcome = await this.driver.advance(data, {
        served: this.served,
        queue,
        signal: ac.signal,
        onContinue: async (next) => {
          await job.updateData(next);
        },
      });
      this.ctx.logger.debug({ runId: data.runId, stage: data.node, queue, outcome }, "job done");
      return outcome;
    } catch (err) {
      const e = toPyfleetError(err);
      const attempts = job.opts.attempts ?? 1;
      if (!e.retryable) {
        log().warn({ err: e.toJSON() }, "stage failed without retry");
        await this.driver.finishFailed(data.runId, e);
        throw new UnrecoverableError(e.message);
      }
      if (job.attemptsMade + 1 >= attempts) {
        log().error({ err: e.toJSON() }, "stage failed on its last attempt");
        const cause = new PyfleetError("STAGE_RETRIES_EXHAUSTED", `${data.node} failed after ${attempts} attempt(s): ${e.message}`, { cause: e });
        await this.driver.finishFailed(data.runId, cause);
      } else log().warn({ err: e.toJSON() }, "stage failed; BullMQ retries with backoff");
      throw e;
    } finally {
      this.inflight.delete(data.runId);
    }
  }

  /**
   * A job that stalled past its limit never reaches `process` again: end its run here, or, for a
   * write whose code provably never started, enqueue it again ({@link recoverStalledWrite}).
   */
  private async onFailed(queue: QueueName, job: Job | undefined): Promise<void> {
    this.ctx.observer?.jobFinished(queue, "failed");
    // BullMQ fails a job that stalled past `maxStalledCount` through its `deferredFailure` field
    // (set by its stalled-job check, the only thing that sets it here): branch on that, not on the message
    if (!job?.deferredFailure) return;
    const parsed = StageJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const runId = parsed.data.runId;
    try {
      if (isWriteQueue(queue)) {
        await recoverStalledWrite(this.ctx, this.driver, parsed.data, () => job.remove());
        return;
      }
      const msg = `${parsed.data.node} job stalled (worker lost)`;
      await this.driver.finishFailed(runId, new PyfleetError("STAGE_RETRIES_EXHAUSTED", msg), "failed");
    } catch (e: unknown) {
      this.ctx.logger.error({ err: e, runId, stage: parsed.data.node }, "could not record stalled job");
    }
  }

  private async pollCancels(): Promise<void> {
    if (this.inflight.size === 0) return;
    const ids = [...this.inflight.keys()];
    try {
      for (const id of await this.ctx.runs.cancelledAmong(ids)) {
        this.inflight.get(id)?.abort(new PyfleetError("CANCELLED", "run cancelled on request"));
      }
    } catch (err) {
      this.ctx.logger.warn({ err }, "cancel poll failed");
    }
  }
}
