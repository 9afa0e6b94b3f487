import { pathToFileURL } from "node:url";
import { createLogger, isPyfleetError, type Logger, loadConfig, type PyfleetConfig } from "@pyfleet/core";
import { type BuiltPipeline, createFleet, type Fleet, type PipelineBuilder, realPipelineBuilder } from "@pyfleet/fleet";
import { parseWorkerArgs, WORKER_USAGE, type WorkerArgs, WorkerUsageError } from "./args.js";
import { startHealthServer } from "./health-server.js";
import { createWorkerMetrics } from "./metrics.js";

/** A running worker process (also embedded by `pyfleet dev`). */
export interface RunningWorker {
  fleet: Fleet;
  built: BuiltPipeline;
  /** Port of `/healthz`, `/readyz`, `/metrics`. */
  metricsPort: number;
  /** Drains in-flight jobs (up to `queues.drain_seconds`), then closes everything. Idempotent. */
  close(): Promise<void>;
}

export interface StartWorkerOptions {
  config: PyfleetConfig;
  logger: Logger;
  env?: Record<string, string | undefined>;
  build?: PipelineBuilder<PyfleetConfig>;
  /** Host of the health server (default all interfaces). */
  metricsHost?: string;
  /**
   * Serving generate, build the LLM client now, so a missing endpoint (key or base URL) throws
   * `LLM_CONFIG` from start-up. `pyfleet-worker` turns it on and, on that error, starts again not
   * ready ({@link notReadyReason}); `pyfleet dev` leaves it off. Without a model, provided-code runs
   * still work and a `--task` run fails with the same `LLM_CONFIG` message.
   */
  requireLlm?: boolean;
  /**
   * Why the process is up but not ready (e.g. generate has no model): `/readyz` answers 503 with
   * this reason while the queues keep serving the runs that do not need it.
   */
  notReadyReason?: string;
}

/** Starts the queue workers of `args` and their health/metrics server. */
export async function startWorker(args: WorkerArgs, opts: StartWorkerOptions): Promise<RunningWorker> {
  const metrics = createWorkerMetrics();
  const { fleet, built } = await createFleet(opts.config, {
    stages: args.stages,
    modes: args.modes,
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    logger: opts.logger,
    observer: metrics.observer,
    build: opts.build ?? realPipelineBuilder(opts.env ?? process.env, { servesGenerate: Boolean(opts.requireLlm) && args.stages.includes("generate") }),
  });
  metrics.bind(fleet, built);
  let http: Awaited<ReturnType<typeof startHealthServer>>;
  try {
    http = await startHealthServer(
      {
        registry: metrics.registry,
        ready: async () => {
          if (opts.notReadyReason) throw new Error(opts.notReadyReason);
          await fleet.ping();
          // only executors need the execution backend; generate/analyze pods cannot reach it
          if (args.stages.includes("execute")) await built.backendReady();
        },
      },
      args.metricsPort ?? opts.config.worker.metrics_port,
      opts.metricsHost,
    );
  } catch (err) {
    await fleet.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    fleet,
    built,
    metricsPort: http.port,
    close() {
      closing ??= (async () => {
        await fleet.close();
        await new Promise<void>((r) => http.server.close(() => r()));
      })();
      return closing;
    },
  };
}

export interface MainIO {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

const defaultIO: MainIO = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
};

/**
 * `pyfleet-worker`: serves its queues until SIGTERM/SIGINT, then stops taking jobs, lets
 * in-flight ones finish (up to `queues.drain_seconds`) and exits. Returns the exit code
 * (0 after a clean stop, 1 on a start-up failure, 2 on bad usage or config). Serving generate
 * without a model is not a start-up failure: the worker stays up, not ready, and says why.
 */
export async function main(argv: readonly string[], io: MainIO = defaultIO): Promise<number> {
  let args: WorkerArgs;
  let config: PyfleetConfig;
  try {
    args = parseWorkerArgs(argv);
    config = loadConfig({ ...(args.config ? { file: args.config } : {}), env: io.env });
  } catch (err) {
    if (err instanceof WorkerUsageError) {
      io.err(`pyfleet-worker: ${err.message}\nUsage: ${WORKER_USAGE}`);
      return 2;
    }
    if (isPyfleetError(err)) {
      io.err(`pyfleet-worker: ${err.message}${(err.issues ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join("")}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ service: "worker", destination: process.stderr });
  let worker: RunningWorker;
  try {
    // A generate worker checks its LLM settings now, not on the first `--task` run.
    worker = await startWorker(args, { config, logger, env: io.env, requireLlm: true }).catch(async (err: unknown) => {
      if (!isPyfleetError(err) || err.code !== "LLM_CONFIG") throw err;
      // No model: stay up (a restart loop helps nobody) so runs that bring their code still flow;
      // say it once here and on every /readyz, and `--task` runs fail with this LLM_CONFIG message.
      const reason = `generate has no model: ${err.message}`;
      logger.error({ code: err.code }, `${reason}; /readyz answers 503, runs with provided code still flow`);
      return startWorker(args, { config, logger, env: io.env, notReadyReason: reason });
    });
  } catch (err) {
    io.err(`pyfleet-worker: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    return isPyfleetError(err) && err.category === "configuration" ? 2 : 1;
  }
  io.out(`pyfleet-worker ready pid=${process.pid} queues=${worker.fleet.queues.join(",")} metrics=http://127.0.0.1:${worker.metricsPort}/metrics`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  io.out(`pyfleet-worker: ${signal}: finishing ${worker.fleet.activeJobs} in-flight job(s), then exiting (send it again to stop at once)`);
  const again = await Promise.race([
    worker.close().then(() => null),
    new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
  ]);
  if (again) {
    io.err(`pyfleet-worker: second ${again}: stopping without waiting; unfinished jobs are picked up again after their lock expires`);
    return 1;
  }
  io.out("pyfleet-worker stopped");
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`pyfleet-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
