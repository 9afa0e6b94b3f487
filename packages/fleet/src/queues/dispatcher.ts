import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { FleetConfig } from "../config.js";
import { defaultJobOptions, QUEUE_NAMES } from "./catalog.js";
import { type StageJob, StageJobSchema, stageJobId } from "./job.js";
import { type QueueName, queueFor } from "./queue-for.js";

/** Where a hop was enqueued. */
export interface Dispatched {
  queue: QueueName;
  jobId: string;
}

/**
 * Producer side of the stage queues: one BullMQ Queue per queue name under the fleet's prefix.
 * Enqueueing the same hop twice is a no-op (deterministic job id).
 */
export class Dispatcher {
  readonly queues: ReadonlyMap<QueueName, Queue>;

  constructor(
    connection: Redis,
    bullPrefix: string,
    private readonly config: FleetConfig,
  ) {
    this.queues = new Map(
      QUEUE_NAMES.map((name) => [
        name,
        new Queue(name, { connection, prefix: bullPrefix, defaultJobOptions: defaultJobOptions(config, name) }),
      ]),
    );
  }

  queue(name: QueueName): Queue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`unknown queue ${name}`);
    return q;
  }

  /** Enqueues the pending node of a run on the queue that owns it. */
  async dispatch(job: StageJob): Promise<Dispatched> {
    const data = StageJobSchema.parse(job);
    const queue = queueFor(data.node, data.mode ?? null);
    const jobId = stageJobId(data.runId, data.step, data.node);
    await this.queue(queue).add(data.node, data, { ...defaultJobOptions(this.config, queue), jobId });
    return { queue, jobId };
  }

  /**
   * Drops a queued (not yet active) job.
   * @returns true when the job is gone (removed now or never there), false when a worker holds it.
   */
  async removeQueued(d: Dispatched): Promise<boolean> {
    const job = await this.queue(d.queue).getJob(d.jobId);
    if (!job) return true;
    const state = await job.getState();
    if (state === "active") return false;
    if (state === "completed" || state === "failed") return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /** Applies the fleet-wide cap on parallel write executions (BullMQ global concurrency). */
  async applyWriteCap(): Promise<void> {
    await this.queue("execute.write_access").setGlobalConcurrency(Math.max(1, this.config.queues.write_fleet_concurrency));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
