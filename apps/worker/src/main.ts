import { isPyfleetError, type Logger, loadConfig, type PyfleetConfig } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { openFleet, type RealPipeline, type RealPipelineBuilder } from "@pyfleet/runtime";
import { type MainIO, processIO, runIfMain, runMain } from "@pyfleet/service-kit";
import { parseWorkerArgs, WORKER_USAGE, type WorkerArgs } from "./args.js";
import { startHealthServer } from "./health-server.js";
import { createWorkerMetrics } from "./metrics.js";

/** A running worker process (also embedded by `pyfleet dev`). */
export interface RunningWorker {
  fleet: Fleet;
  built: RealPipeline;
  /** Port of `/healthz`, `/readyz`, `/metrics`. */
  metricsPort: number;
  /** Drains in-flight jobs (up to `queues.drain_seconds`), then closes everything. Idempotent. */
  close(): Promise<void>;
}

export interface StartWorkerOptions {
  config: PyfleetConfig;
  logger: Logger;
  env?: Record<string, string | undefined>;
  build?: RealPipelineBuilder;
  /** This process also decides approvals (`pyfleet dev`): its approval store signs. */
  decides?: boolean;
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
  const { fleet, built } = await openFleet(opts.config, {
    stages: args.stages,
    modes: args.modes,
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    logger: opts.logger,
    observer: metrics.observer,
    env: opts.env ?? process.env,
    ...(opts.requireLlm ? { requireLlm: true } : {}),
    ...(opts.decides ? { decides: true } : {}),
    ...(opts.build ? { build: opts.build } : {}),
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

/**
 * `pyfleet-worker`: serves its queues until SIGTERM/SIGINT, then stops taking jobs, lets
 * in-flight ones finish (up to `queues.drain_seconds`) and exits. Returns the exit code
 * (0 after a clean stop, 1 on a start-up failure, 2 on bad usage or config). Serving generate
 * without a model is not a start-up failure: the worker stays up, not ready, and says why.
 */
export function main(argv: readonly string[], io: MainIO = processIO): Promise<number> {
  return runMain(
    {
      name: "pyfleet-worker",
      usage: WORKER_USAGE,
      parse: parseWorkerArgs,
      config: (args, env) => loadConfig({ ...(args.config ? { file: args.config } : {}), env }),
      async start({ args, config, env, logger }) {
        // A generate worker checks its LLM settings now, not on the first `--task` run.
        const worker = await startWorker(args, { config, logger, env, requireLlm: true }).catch(async (err: unknown) => {
          if (!isPyfleetError(err) || err.code !== "LLM_CONFIG") throw err;
          // No model: stay up (a restart loop helps nobody) so runs that bring their code still flow;
          // say it once here and on every /readyz, and `--task` runs fail with this LLM_CONFIG message.
          const reason = `generate has no model: ${err.message}`;
          logger.error({ code: err.code }, `${reason}; /readyz answers 503, runs with provided code still flow`);
          return startWorker(args, { config, logger, env, notReadyReason: reason });
        });
        return {
          readyLine: `pyfleet-worker ready pid=${process.pid} queues=${worker.fleet.queues.join(",")} metrics=http://127.0.0.1:${worker.metricsPort}/metrics`,
          drainNote: () => `finishing ${worker.fleet.activeJobs} in-flight job(s)`,
          forcedNote: "unfinished jobs are picked up again after their lock expires",
          close: () => worker.close(),
        };
      },
    },
    argv,
    io,
  );
}

runIfMain(import.meta.url, "pyfleet-worker", () => main(process.argv.slice(2)));
