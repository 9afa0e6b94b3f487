/**
 * Where a run's time goes, from its event stream: start → analyzing (producer + queue hop),
 * analyzing → executing (analysis + hop to an executor), executing → finished (the execution,
 * notebook and result files, final record).
 */
import { quantile } from "./stats.js";
import type { BenchTarget, FinishedRun } from "./target.js";

export interface Breakdown {
  toAnalyze: number;
  analyzeToExecute: number;
  executeToDone: number;
}

const SEGMENTS = ["toAnalyze", "analyzeToExecute", "executeToDone"] as const;

/** p50 of each segment over the runs (`startedAt`: each run's start in ms, the bench's submit time or its record's creation). */
export async function breakdown(target: BenchTarget, startedAt: ReadonlyMap<string, number>, finished: ReadonlyMap<string, FinishedRun>): Promise<Breakdown> {
  const samples: Record<keyof Breakdown, number[]> = { toAnalyze: [], analyzeToExecute: [], executeToDone: [] };
  for (const [runId, submitted] of startedAt) {
    const events = await target.events(runId);
    const firstStatus = (status: string) => events.find((e) => e.type === "status" && e.data.status === status)?.at;
    const analyzing = firstStatus("analyzing");
    const executing = firstStatus("executing");
    const done = finished.get(runId)?.finishedAt;
    if (!analyzing || !executing || !done) continue;
    samples.toAnalyze.push(Date.parse(analyzing) - submitted);
    samples.analyzeToExecute.push(Date.parse(executing) - Date.parse(analyzing));
    samples.executeToDone.push(Date.parse(done) - Date.parse(executing));
  }
  const out = {} as Breakdown;
  for (const s of SEGMENTS) out[s] = quantile(samples[s], 0.5);
  return out;
}
