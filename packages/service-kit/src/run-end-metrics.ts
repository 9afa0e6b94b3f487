import { Counter, Histogram, type Registry } from "prom-client";

/** Seconds, from a fast analysis (5 ms) to a long run or a human's approval (hours). */
export const LONG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];

/** A run this process ended (the shape of `@pyfleet/fleet`'s `FinishedRun`). */
export interface EndedRun {
  status: string;
  mode: string | null;
  seconds: number | null;
  writeOutcomes: readonly string[];
}

/**
 * The run-end metrics every fleet process exports, with the same names and buckets: a run ends in
 * exactly one process (the first final status wins in Redis, a late second finish is dropped
 * before it is observed), so summing these series over processes counts each run once:
 * - `pyfleet_runs_finished_total{status,mode}`: the worker ends most runs, the producer a cancel
 *   of a queued or parked run, the approver rejections and expiries;
 * - `pyfleet_run_duration_seconds{status}`: submit → end;
 * - `pyfleet_control_writes_total{outcome}`: real control-system writes of the final attempt.
 * @returns the `runFinished` hook of a `StageObserver`.
 */
export function runEndMetrics(registry: Registry): (run: EndedRun) => void {
  const registers = [registry];
  const runs = new Counter({ name: "pyfleet_runs_finished_total", help: "Runs this process ended, by final status and mode", labelNames: ["status", "mode"], registers });
  const duration = new Histogram({ name: "pyfleet_run_duration_seconds", help: "Submit to end of the runs this process ended", labelNames: ["status"], buckets: LONG_BUCKETS, registers });
  const writes = new Counter({ name: "pyfleet_control_writes_total", help: "Control-system writes performed by finished runs, by outcome", labelNames: ["outcome"], registers });
  return (run) => {
    runs.inc({ status: run.status, mode: run.mode ?? "none" });
    if (run.seconds !== null) duration.observe({ status: run.status }, run.seconds);
    for (const outcome of run.writeOutcomes) writes.inc({ outcome });
  };
}

/**
 * The observer of a process that serves no queue (producer, approver): it runs no node and finishes
 * no job, so only the runs it ends are counted (`runEndMetrics`). Spread it into a `StageObserver`.
 */
export function queuelessObserver(registry: Registry): { nodeFinished(): void; jobFinished(): void; runFinished(run: EndedRun): void } {
  return { nodeFinished: () => undefined, jobFinished: () => undefined, runFinished: runEndMetrics(registry) };
}
