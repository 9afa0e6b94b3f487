import type { BuiltPipeline, Fleet, StageObserver } from "@pyfleet/fleet";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Job states reported per queue (delayed and prioritised included: `wait` alone under-counts). */
const STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed"] as const;

/** Prometheus registry of a worker process plus the observer that feeds it. */
export interface WorkerMetrics {
  registry: Registry;
  observer: StageObserver;
  /** Connects the gauges that read live state (queue depths, kernel pools). */
  bind(fleet: Fleet, built: BuiltPipeline): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const jobs = new Counter({
    name: "pyfleet_jobs_total",
    help: "Stage jobs finished by this process, by queue and outcome",
    labelNames: ["queue", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "pyfleet_stage_duration_seconds",
    help: "Time one pipeline node took, by node, queue and outcome",
    labelNames: ["node", "queue", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  let fleet: Fleet | null = null;
  let built: BuiltPipeline | null = null;
  new Gauge({
    name: "pyfleet_queue_jobs",
    help: "Jobs in each fleet queue by state",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      if (!fleet) return;
      this.reset();
      const counts = await fleet.queueCounts();
      for (const [queue, byState] of Object.entries(counts)) {
        for (const state of STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: "pyfleet_kernel_pool",
    help: "Kernels in the warm pools of this process, by kernel name and state",
    labelNames: ["kernel", "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of built?.poolStats?.() ?? []) {
        this.set({ kernel: p.kernel, state: "idle" }, p.idle);
        this.set({ kernel: p.kernel, state: "busy" }, p.busy);
        this.set({ kernel: p.kernel, state: "starting" }, p.pending);
      }
    },
  });
  return {
    registry,
    observer: {
      nodeFinished: (node, queue, seconds, outcome) => duration.observe({ node, queue, outcome }, seconds),
      jobFinished: (queue, outcome) => jobs.inc({ queue, outcome }),
    },
    bind(f, b) {
      fleet = f;
      built = b;
    },
  };
}
