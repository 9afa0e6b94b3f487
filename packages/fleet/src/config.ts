import type { PyfleetConfig } from "@pyfleet/core";

/** `queues.<stage>`: concurrency, infrastructure attempts and backoff of one queue. */
export type QueueTuning = PyfleetConfig["queues"]["generate"];

/**
 * The part of the `framework:` config section the fleet reads (snake_case, as in config.yml):
 * a slice of the loaded config, so the typed config from `@pyfleet/core`'s loader is assignable to it.
 */
export type FleetConfig = Pick<PyfleetConfig, "python_executor" | "execution" | "redis" | "queues" | "checkpointer" | "runs" | "limits">;
