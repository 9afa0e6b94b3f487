import { EXECUTION_MODES, type ExecutionMode } from "@pyfleet/core";
import { STAGE_NAMES, type StageName } from "@pyfleet/fleet";

/** Parsed `pyfleet-worker` options. */
export interface WorkerArgs {
  stages: StageName[];
  modes: ExecutionMode[];
  concurrency?: number;
  config?: string;
  /** Overrides `worker.metrics_port` (0 = any free port). */
  metricsPort?: number;
}

export const WORKER_USAGE =
  "pyfleet-worker --stage generate|analyze|execute|all [--mode read_only|write_access] [--concurrency N] [--config FILE] [--metrics-port N]";

/** A usage problem: the process prints it with the usage and exits 2. */
export class WorkerUsageError extends Error {
  override readonly name = "WorkerUsageError";
}

/**
 * Parses the command line. An execute worker (also `--stage all`) serves exactly one mode.
 * @throws WorkerUsageError on a missing or unknown option.
 */
export function parseWorkerArgs(argv: readonly string[]): WorkerArgs {
  const out: Partial<WorkerArgs> & { modes: ExecutionMode[] } = { modes: [] };
  let stage: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new WorkerUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--stage":
        stage = value();
        break;
      case "--mode": {
        const m = value();
        if (!(EXECUTION_MODES as readonly string[]).includes(m)) throw new WorkerUsageError(`--mode must be read_only or write_access, not "${m}"`);
        out.modes = [m as ExecutionMode];
        break;
      }
      case "--concurrency":
        out.concurrency = positiveInt(flag, value(), 1);
        break;
      case "--config":
        out.config = value();
        break;
      case "--metrics-port":
        out.metricsPort = positiveInt(flag, value(), 0);
        break;
      default:
        throw new WorkerUsageError(`unknown option ${flag}`);
    }
  }
  if (!stage) throw new WorkerUsageError("--stage is required");
  const stages: StageName[] =
    stage === "all" ? [...STAGE_NAMES] : (STAGE_NAMES as readonly string[]).includes(stage) ? [stage as StageName] : [];
  if (stages.length === 0) throw new WorkerUsageError(`--stage must be generate, analyze, execute or all, not "${stage}"`);
  if (stages.includes("execute") && out.modes.length === 0) {
    throw new WorkerUsageError(
      "an execute worker serves exactly one mode: add --mode read_only or --mode write_access (write executors run as their own deployment)",
    );
  }
  if (!stages.includes("execute")) out.modes = [];
  return { ...out, stages };
}

function positiveInt(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new WorkerUsageError(`${flag} must be an integer >= ${min}, not "${v}"`);
  return n;
}
