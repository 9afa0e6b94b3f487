export { parseWorkerArgs, WORKER_USAGE, type WorkerArgs, WorkerUsageError } from "./args.js";
export { startHealthServer } from "./health-server.js";
export type { MainIO } from "@pyfleet/service-kit";
export { main, type RunningWorker, type StartWorkerOptions, startWorker } from "./main.js";
export { createWorkerMetrics, type WorkerMetrics } from "./metrics.js";
