import type { RunRecord, RunStatus } from "@pyfleet/core";

/** Polls `get` until the run has one of `statuses`; rejects with the last record after `timeoutMs`. */
export async function waitForStatus(
  get: (runId: string) => Promise<RunRecord | null>,
  runId: string,
  statuses: RunStatus | RunStatus[],
  timeoutMs = 30_000,
): Promise<RunRecord> {
  const want = Array.isArray(statuses) ? statuses : [statuses];
  const deadline = Date.now() + timeoutMs;
  let last: RunRecord | null = null;
  while (Date.now() < deadline) {
    last = await get(runId);
    if (last && want.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} not ${want.join("|")} after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
