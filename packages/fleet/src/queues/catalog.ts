import type { JobsOptions } from "bullmq";
import type { FleetConfig, QueueTuning } from "../config.js";
import type { QueueName } from "./queue-for.js";

/** Every queue of the fleet, in pipeline order. */
export const QUEUE_NAMES = [
  "generate",
  "analyze",
  "execute.read_only",
  "execute.write_access",
] as const satisfies readonly QueueName[];

/** The stages a worker process can serve (`execute` needs a mode to pick its queue). */
export const STAGE_NAMES = ["generate", "analyze", "execute"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Config key of a queue (`execute.read_only` → `execute_read_only`). */
export function tuningFor(config: FleetConfig, queue: QueueName): QueueTuning {
  switch (queue) {
    case "generate":
      return config.queues.generate;
    case "analyze":
      return config.queues.analyze;
    case "execute.read_only":
      return config.queues.execute_read_only;
    case "execute.write_access":
      return config.queues.execute_write_access;
  }
}

/**
 * Default options of a job on `queue`: attempts with exponential backoff for infrastructure
 * errors (code errors never reach BullMQ: they are state), and bounded retention of finished jobs.
 * A completed job is kept no longer than its run's record (`runs.retention_seconds`): BullMQ drops
 * older ones whenever a job completes, so an active fleet does not hold `keep_completed` jobs per
 * queue of runs that are long gone; in an idle fleet the approver's sweep removes them
 * (`cleanAgedJobs`, with failed jobs, once the run's record is gone).
 */
export function defaultJobOptions(config: FleetConfig, queue: QueueName): JobsOptions {
  const t = tuningFor(config, queue);
  return {
    attempts: Math.max(1, t.attempts),
    backoff: { type: "exponential", delay: t.backoff_ms },
    removeOnComplete: { count: config.queues.keep_completed, age: config.runs.retention_seconds },
    removeOnFail: { count: config.queues.keep_failed },
  };
}

/** True for the queue whose jobs may change the machine: at most once, fleet-wide cap. */
export const isWriteQueue = (queue: QueueName): boolean => queue === "execute.write_access";

/**
 * The queues a process serves for the given stages and execute modes.
 * @throws Error when `execute` is served without a mode (an executor is pinned to one mode).
 */
export function servedQueues(stages: readonly StageName[], modes: readonly ("read_only" | "write_access")[]): QueueName[] {
  const out: QueueName[] = [];
  for (const s of stages) {
    if (s === "execute") {
      if (modes.length === 0) throw new Error("an execute stage needs a mode (read_only or write_access)");
      for (const m of modes) out.push(m === "read_only" ? "execute.read_only" : "execute.write_access");
    } else out.push(s);
  }
  return [...new Set(out)];
}
