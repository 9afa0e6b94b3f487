import type { StageObserver } from "@pyfleet/fleet";
import { queuelessObserver } from "@pyfleet/service-kit";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Prometheus registry of an approver process plus the observer its fleet reports decisions to. */
export interface ApproverMetrics {
  registry: Registry;
  /** Give to `openFleet({ observer })`: the approver applies decisions, so it sees the wait. */
  observer: StageObserver;
}

/**
 * The approver's metrics: process defaults, `pyfleet_approval_wait_seconds{decision}` (parked →
 * decided, observed where the decision is applied: this process) and the run-end metrics of the
 * runs this process ends (rejections finalized in-process, expiries of its sweep, a run whose
 * checkpoint cannot be resumed). Same names and buckets as the worker's, so one dashboard query
 * covers `pyfleet dev` and a fleet with a standalone approver.
 */
export function createApproverMetrics(): ApproverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const approvalWait = new Histogram({
    name: "pyfleet_approval_wait_seconds",
    help: "Time a run waited parked for its approval decision, by decision",
    labelNames: ["decision"],
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400],
    registers: [registry],
  });
  return {
    registry,
    observer: {
      // an approver serves no queue: nodes it continues in-process are counted by no job metric
      ...queuelessObserver(registry),
      approvalDecided: (decision, seconds) => approvalWait.observe({ decision }, seconds),
    },
  };
}
