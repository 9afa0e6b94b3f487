/** What a worker process logged about its stage jobs (pino JSON lines on its output). */

export interface StageFailure {
  runId: string;
  code: string;
  category: string;
  /** true: the job is retried (BullMQ backoff); false: it was the last attempt or not retryable. */
  retried: boolean;
}

/** Stage failures of one worker's output (`PYFLEET_LOG_LEVEL` warn or lower), oldest first. */
export function stageFailures(output: string): StageFailure[] {
  const out: StageFailure[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { msg?: string; runId?: string; err?: { code?: string; category?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!entry.runId || !entry.msg?.startsWith("stage failed")) continue;
    out.push({ runId: entry.runId, code: entry.err?.code ?? "?", category: entry.err?.category ?? "?", retried: entry.msg.includes("retries with backoff") });
  }
  return out;
}

/** `code/category ×n` per distinct failure, for an outcome sentence. */
export function failureSummary(failures: StageFailure[]): string {
  const counts = new Map<string, number>();
  for (const f of failures) {
    const k = `${f.code}/${f.category}${f.retried ? " (retried)" : ""}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(", ") || "none";
}
