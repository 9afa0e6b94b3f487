import type { RedisKeys } from "@pyfleet/core";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { runIdOfStageJob } from "./job.js";
import type { QueueName } from "./queue-for.js";

/** What one {@link cleanAgedJobs} pass removed. */
export interface AgedJobsCleaned {
  /** Completed stage jobs removed (their run's retention had passed). */
  completed: number;
  /** Failed stage jobs removed (likewise). */
  failed: number;
  /** Entries older than the retention trimmed from the queues' event streams and the run-change stream. */
  streamEntries: number;
}

/** What {@link cleanAgedJobs} works on (a fleet process has all of it). */
export interface AgedJobsTarget {
  redis: Redis;
  keys: RedisKeys;
  queues: ReadonlyMap<QueueName, Queue>;
  /** `runs.retention_seconds`: how long a finished run's record (and so its jobs) is kept. */
  retentionSeconds: number;
}

/**
 * Removes the finished stage jobs of runs whose retention has passed, and trims what is older than
 * the retention from the queues' BullMQ event streams and the run-change stream, so an idle fleet
 * returns to its Redis baseline (BullMQ ages completed jobs out only when a later job completes).
 *
 * Safety: a hop's deterministic job id refuses a duplicate enqueue only while the job exists, so a
 * job is removed only when its run's record is gone. A record carries its TTL only once the run is
 * terminal, so "gone" means the run ended at least `retentionSeconds` ago, and its checkpoint is
 * expired as well: a late duplicate of the hop then finds no run and runs nothing. Only jobs that
 * finished more than the retention ago can qualify, which is where the scan looks (oldest first,
 * up to `limit` per queue and state). Each job is removed by id (BullMQ's `remove`), never by a
 * time cut-off that could also take a live run's job.
 *
 * Nobody reads BullMQ's event streams in pyfleet (no QueueEvents); the run-change stream is
 * tailed live, and its entries older than the retention name runs whose records are gone.
 * Called by the approver's sweep (one replica per period).
 */
export async function cleanAgedJobs(target: AgedJobsTarget, limit = 1000): Promise<AgedJobsCleaned> {
  const { redis, queues } = target;
  const retentionMs = target.retentionSeconds * 1000;
  const cleaned: AgedJobsCleaned = { completed: 0, failed: 0, streamEntries: 0 };
  for (const queue of queues.values()) {
    for (const state of ["completed", "failed"] as const) {
      cleaned[state] += await removeExpired(target, queue, state, Date.now() - retentionMs, limit);
    }
  }
  // stream ids are Redis server milliseconds: cut by Redis's clock, not this process's
  const [seconds, micros] = await redis.time();
  const minId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - retentionMs}-0`;
  const streams = [...[...queues.values()].map((q) => q.keys.events), target.keys.runChanges()].filter((k): k is string => Boolean(k));
  for (const key of streams) cleaned.streamEntries += await redis.xtrim(key, "MINID", minId);
  return cleaned;
}

/** Removes the jobs in `state` that finished before `finishedBefore` and whose run record is gone. */
async function removeExpired(target: AgedJobsTarget, queue: Queue, state: "completed" | "failed", finishedBefore: number, limit: number): Promise<number> {
  const setKey = queue.keys[state];
  if (!setKey) return 0;
  const ids = await target.redis.zrangebyscore(setKey, "-inf", finishedBefore, "LIMIT", 0, limit);
  const candidates = ids.flatMap((jobId) => {
    // a job id that is not a stage hop's is not ours to remove
    const runId = runIdOfStageJob(jobId);
    return runId ? [{ jobId, runId }] : [];
  });
  if (candidates.length === 0) return 0;
  // sent back to back on the one connection (one round trip); not a pipeline(), which copies
  // every script defined on the connection (BullMQ's ~50 share it)
  const exists = await Promise.all(candidates.map((c) => target.redis.exists(target.keys.run(c.runId))));
  const expired = candidates.filter((_, i) => exists[i] === 0);
  const removed = await Promise.all(expired.map((c) => queue.remove(c.jobId)));
  return removed.filter((code) => code === 1).length;
}
