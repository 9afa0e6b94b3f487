import type { StageObserver } from "@pyfleet/fleet";
import { queuelessObserver } from "@pyfleet/service-kit";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";

/** Prometheus registry of a producer process plus the observer its fleet reports run ends to. */
export interface ProducerMetrics {
  registry: Registry;
  /** Give to `openFleet({ observer })`: the producer ends the runs it cancels before a worker has them. */
  observer: StageObserver;
  /** One more run accepted. */
  submitted(): void;
  /** One HTTP response sent. */
  responded(route: string, status: number): void;
}

/**
 * The producer's metrics: process defaults, `pyfleet_runs_submitted_total`,
 * `pyfleet_http_responses_total{route,status}` and the run-end metrics (same names as the
 * worker's) of the runs this process ends: a cancel of a queued or parked run.
 */
export function createProducerMetrics(): ProducerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const submitted = new Counter({ name: "pyfleet_runs_submitted_total", help: "Runs accepted by this producer", registers });
  const responses = new Counter({ name: "pyfleet_http_responses_total", help: "HTTP responses by route and status", labelNames: ["route", "status"], registers });
  return {
    registry,
    observer: queuelessObserver(registry),
    submitted: () => submitted.inc(),
    responded: (route, status) => responses.inc({ route, status: String(status) }),
  };
}
