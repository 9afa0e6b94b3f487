import { isTerminalStatus, PyfleetError } from "@pyfleet/core";
import type { FleetContext } from "../context.js";
import type { StageJob } from "../queues/job.js";
import { type RunDriver, refOf } from "./run-driver.js";

/** Times a write hop is enqueued again after losing its executor before the code started. */
export const MAX_WRITE_REQUEUES = 2;

/** What became of a write job whose executor was lost. */
export type StalledWriteOutcome = "requeued" | "failed" | "outcome_unknown" | "ended";

/**
 * A write job whose executor was lost (the job stalled; the write queue never redelivers).
 * The execution marker is set before the first line of write code runs (ARCHITECTURE §6), so:
 * - `execute` pending, no marker: the code never started; the hop is enqueued again
 *   (`removeFailed` first drops the failed job so its id can be reused), up to
 *   {@link MAX_WRITE_REQUEUES} times, then the run fails;
 * - `execute` pending, marker set: the write may have happened: `outcome_unknown`, for a human;
 * - a later node pending (the write node had finished): that node is dispatched;
 * - nothing pending but the record not terminal: `outcome_unknown` (a human checks).
 * A second delivery racing a lost-but-alive executor is still refused by the marker's SET NX.
 */
export async function recoverStalledWrite(
  ctx: FleetContext,
  driver: RunDriver,
  job: StageJob,
  removeFailed: () => Promise<void>,
): Promise<StalledWriteOutcome> {
  if (await ctx.runs.isCancelled(job.runId)) {
    await driver.finishCancelled(job.runId);
    return "ended";
  }
  // settled: an execute whose output reached the checkpoint's writes before its process was lost
  // finished (the run goes on to finalize) rather than being unknown
  const view = await ctx.pipeline.getRun(refOf(job), { settle: true });
  if (view?.next && view.next !== "execute" && !view.interrupt) {
    await driver.dispatch({ ...job, node: view.next, step: job.node === view.next ? job.step : job.step + 1 }, "queued");
    return "requeued";
  }
  const attempt = view?.next === "execute" ? view.state.attempts.at(-1)?.number : undefined;
  if (attempt === undefined || (await ctx.markers.started(job.runId, attempt))) {
    const record = await ctx.runs.get(job.runId);
    if (record && isTerminalStatus(record.status)) return "ended";
    const message = `${job.node} job stalled (write executor lost) after the write started; the write may or may not have happened`;
    await driver.finishFailed(job.runId, new PyfleetError("OUTCOME_UNKNOWN", message), "outcome_unknown");
    return "outcome_unknown";
  }
  const count = await ctx.runs.countWriteRequeue(job.runId);
  if (count > MAX_WRITE_REQUEUES) {
    const message = `write executor lost ${count} times before attempt ${attempt}'s code started (it never ran)`;
    await driver.finishFailed(job.runId, new PyfleetError("STAGE_RETRIES_EXHAUSTED", message));
    return "failed";
  }
  await removeFailed();
  await ctx.audit?.append("write.requeued", {
    runId: job.runId,
    attempt,
    requeues: count,
    reason: "write executor lost before the code started (no execution marker)",
  });
  ctx.logger.warn({ runId: job.runId, stage: job.node, attempt, requeues: count }, "write executor lost before the code started; enqueued again");
  await driver.dispatch(job, "queued");
  return "requeued";
}
