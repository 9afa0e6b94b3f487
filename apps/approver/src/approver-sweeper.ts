import { isPyfleetError, isTerminalStatus, type RunRecord, type SignedDecision } from "@pyfleet/core";
import { type AgedJobsCleaned, type ApprovalRecord, type ApprovalStore, RESUME_IN_PROGRESS } from "@pyfleet/fleet";
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/** What the sweeper needs from the fleet. */
export interface SweeperFleetPort {
  /** Resumes a parked run with a final decision (idempotent: a run already resumed is left alone). */
  resumeRun(runId: string, decision: SignedDecision): Promise<unknown>;
  /** Ends a parked run whose approval expired with status `approval_expired`. */
  expireRun(runId: string, reason: string): Promise<unknown>;
  /** The run record (null when unknown). */
  get(runId: string): Promise<RunRecord | null>;
  /** Drops run-index entries of runs whose retention ran out; returns how many. */
  pruneRunIndex(limit?: number): Promise<number>;
  /** Drops threads whose retention ran out from the checkpointer's index; returns how many. */
  pruneThreadIndex(): Promise<number>;
  /** Removes finished stage jobs of runs whose retention ran out and trims older stream entries. */
  cleanAgedJobs(limit?: number): Promise<AgedJobsCleaned>;
}

/** Where and how often the sweep is scheduled. */
export interface SweepSchedule {
  /** The fleet's Redis connection (BullMQ shares it for commands and duplicates it for its blocking reads). */
  redis: Redis;
  /** BullMQ key prefix of the fleet (`RedisKeys.bullPrefix`): the sweep queue lives beside the stage queues. */
  prefix: string;
  /** Period of the sweep (default 5000 ms). Replicas should agree: the last one to start sets it. */
  intervalMs?: number;
}

/** Queue of the sweep job, and its scheduler's id (one scheduler for every replica). */
export const SWEEP_QUEUE = "approver-sweep";
const SWEEP_SCHEDULER = "approver-sweep";

/**
 * Background duties of the approver: end runs whose approval expired, resume runs whose
 * decision was stored but never delivered (the approver crashed between the vote and the
 * resume), drop run-index entries and the finished stage jobs of runs whose retention ran out. A BullMQ job scheduler creates one sweep job per period for the whole fleet, and the
 * queue's global concurrency of 1 lets one replica run it at a time: with several approvers the
 * sweep still runs once per period, not once per replica. A replica that dies mid-sweep leaves
 * a stalled job that another picks up. `close()` waits for the sweep in flight.
 */
export class ApproverSweeper {
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private closed = false;
  private readonly intervalMs: number;

  constructor(
    private readonly store: ApprovalStore,
    private readonly fleet: SweeperFleetPort,
    private readonly logger: Logger,
    private readonly schedule: SweepSchedule,
  ) {
    this.intervalMs = schedule.intervalMs ?? 5000;
  }

  /** Schedules the sweep (idempotent across replicas) and starts taking sweep jobs. */
  async start(): Promise<void> {
    if (this.worker || this.closed) return;
    const { redis, prefix } = this.schedule;
    this.queue = new Queue(SWEEP_QUEUE, { connection: redis, prefix });
    await this.queue.setGlobalConcurrency(1);
    await this.queue.upsertJobScheduler(
      SWEEP_SCHEDULER,
      { every: this.intervalMs },
      { name: "sweep", opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    this.worker = new Worker(
      SWEEP_QUEUE,
      async () => {
        await this.sweep();
      },
      { connection: redis, prefix, concurrency: 1 },
    );
    this.worker.on("failed", (_job, err) => this.logger.error({ err }, "approval sweep failed"));
    this.worker.on("error", (err) => this.logger.error({ err }, "approval sweep worker error"));
    await this.worker.waitUntilReady();
  }

  /** One pass; returns what it did (tests call it directly). */
  async sweep(): Promise<{ expired: ApprovalRecord[]; resumed: ApprovalRecord[]; pruned: number; threadsPruned: number; cleaned: AgedJobsCleaned }> {
    const expired = await this.store.expireDue();
    for (const rec of expired) {
      this.logger.info({ runId: rec.runId, approvalId: rec.id, stage: "approve", attempt: rec.attempt }, "approval expired; ending run");
      await this.fleet.expireRun(rec.runId, `approval ${rec.id} expired at ${rec.expiresAt} without a decision`);
    }
    const resumed: ApprovalRecord[] = [];
    for (const rec of await this.store.listUnresumed()) {
      if (!rec.signedDecision) continue;
      const log = { runId: rec.runId, approvalId: rec.id, stage: "approve", attempt: rec.attempt };
      this.logger.warn(log, "resuming a run whose decision was never delivered");
      try {
        await this.fleet.resumeRun(rec.runId, rec.signedDecision);
      } catch (err) {
        // One record must not hold up the others: a run that ended meanwhile (cancelled) has
        // nothing left to resume; one not parked yet is tried again next round. A run another
        // process is resuming (the decision endpoint, within its lease) is expected, not an error.
        const notPending = isPyfleetError(err) && err.code === "STEP_NOT_PENDING";
        if (notPending && err.details?.reason === RESUME_IN_PROGRESS) {
          this.logger.info(log, "another process is resuming the run; checked again next round");
          continue;
        }
        const run = notPending ? await this.fleet.get(rec.runId) : null;
        if (run && isTerminalStatus(run.status)) {
          this.logger.warn({ ...log, status: run.status }, "run ended before its decision was delivered; nothing to resume");
          await this.store.markResumed(rec.id);
        } else this.logger.error({ ...log, err }, "could not resume the run; trying again next round");
        continue;
      }
      await this.store.markResumed(rec.id);
      resumed.push(rec);
    }
    // The run index has no TTL: the sweep (once per period fleet-wide) keeps it to retained runs.
    const pruned = await this.fleet.pruneRunIndex();
    // retiring a thread prunes the checkpoints' thread index: an idle fleet keeps its last window
    const threadsPruned = await this.fleet.pruneThreadIndex();
    // BullMQ ages completed jobs out only when a later one completes: an idle fleet keeps them
    const cleaned = await this.fleet.cleanAgedJobs();
    return { expired, resumed, pruned, threadsPruned, cleaned };
  }

  /** Stops taking sweep jobs (waits for the one in flight). The schedule stays for the other replicas. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.close();
    await this.queue?.close();
    this.worker = null;
    this.queue = null;
  }
}
