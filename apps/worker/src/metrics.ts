import type { BuiltPipeline, Fleet, StageObserver } from "@pyfleet/fleet";
import { LONG_BUCKETS, runEndMetrics } from "@pyfleet/service-kit";
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

/**
 * The worker's metrics (deploy/grafana/pyfleet.json charts exactly these names):
 * - `pyfleet_jobs_total{queue,outcome}`: hops of runs this process finished per queue, a hop
 *   continued in-process into another served queue counted under that queue;
 * - `pyfleet_stage_duration_seconds{node,queue,outcome}`: one node, labelled with the queue it ran under;
 * - the run-end metrics of `runEndMetrics` (runs this process ended; the producer and approver
 *   export the same series for the runs they end);
 * - `pyfleet_approval_wait_seconds{decision}`: parked → decided, where the decision was applied;
 * - `pyfleet_llm_request_seconds{model}`, `pyfleet_llm_tokens_total{model,kind}`;
 * - gauges read at scrape time: `pyfleet_queue_jobs{queue,state}`, `pyfleet_kernel_pool{kernel,state}`.
 */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const jobs = new Counter({ name: "pyfleet_jobs_total", help: "Stage jobs (hops) finished by this process, by queue and outcome", labelNames: ["queue", "outcome"], registers });
  const duration = new Histogram({
    name: "pyfleet_stage_duration_seconds",
    help: "Time one pipeline node took, by node, the queue it ran under, and outcome",
    labelNames: ["node", "queue", "outcome"],
    buckets: LONG_BUCKETS.slice(0, 14),
    registers,
  });
  const runFinished = runEndMetrics(registry);
  const approvalWait = new Histogram({
    name: "pyfleet_approval_wait_seconds",
    help: "Time a run waited parked for its approval decision, by decision",
    labelNames: ["decision"],
    buckets: LONG_BUCKETS.slice(6),
    registers,
  });
  const llmSeconds = new Histogram({
    name: "pyfleet_llm_request_seconds",
    help: "Latency of the LLM call of one generation attempt, by model",
    labelNames: ["model"],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120],
    registers,
  });
  const llmTokens = new Counter({ name: "pyfleet_llm_tokens_total", help: "LLM tokens used by generation, by model and kind (prompt, completion)", labelNames: ["model", "kind"], registers });
  let fleet: Fleet | null = null;
  let built: BuiltPipeline | null = null;
  new Gauge({
    name: "pyfleet_queue_jobs",
    help: "Jobs in each fleet queue by state",
    labelNames: ["queue", "state"],
    registers,
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
    registers,
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
      runFinished,
      approvalDecided: (decision, seconds) => approvalWait.observe({ decision }, seconds),
      llmCall: (usage) => {
        llmSeconds.observe({ model: usage.model }, usage.latencyMs / 1000);
        llmTokens.inc({ model: usage.model, kind: "prompt" }, usage.promptTokens);
        llmTokens.inc({ model: usage.model, kind: "completion" }, usage.completionTokens);
      },
    },
    bind(f, b) {
      fleet = f;
      built = b;
    },
  };
}
