/**
 * The part of the `framework:` config section the fleet reads (snake_case, as in config.yml).
 * The typed config from `@pyfleet/core`'s loader is assignable to it; tests build it directly.
 */
export interface QueueTuning {
  concurrency: number;
  attempts: number;
  backoff_ms: number;
}

export interface FleetConfig {
  python_executor: {
    max_generation_retries: number;
    max_execution_retries: number;
    execution_timeout_seconds: number;
  };
  execution: { execution_method: "container" | "local" | "docker"; allowed_methods: ReadonlyArray<"container" | "local" | "docker"> };
  redis: { url: string; prefix: string };
  queues: {
    generate: QueueTuning;
    analyze: QueueTuning;
    execute_read_only: QueueTuning;
    execute_write_access: QueueTuning;
    write_fleet_concurrency: number;
    keep_completed: number;
    keep_failed: number;
    drain_seconds: number;
    lock_seconds: number;
    stalled_check_seconds: number;
  };
  checkpointer: { type: "auto" | "redis" | "redis-stack"; retention_seconds: number };
  runs: { retention_seconds: number; events_maxlen: number };
  limits: { max_code_bytes: number; max_context_bytes: number; max_stdout_bytes: number; max_json_depth: number };
}
