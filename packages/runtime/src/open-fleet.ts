import { type Clock, type Env, type ExecutionMode, type Logger, type PyfleetConfig, signingKeys } from "@pyfleet/core";
import { createFleet, DecisionSigner, type Fleet, type StageName, type StageObserver } from "@pyfleet/fleet";
import { type RealPipeline, type RealPipelineBuilder, realPipelineBuilder } from "./wire/real-pipeline.js";

export interface OpenFleetOptions {
  /** Stages to serve; none = a producer/approver-only process. */
  stages?: readonly StageName[];
  /** Execute modes to serve (required when `stages` has `execute`). */
  modes?: readonly ExecutionMode[];
  /** Overrides every served queue's configured concurrency. */
  concurrency?: number;
  logger?: Logger;
  clock?: Clock;
  observer?: StageObserver;
  /** Where keys, tokens and the LLM settings are read from (default `process.env`). */
  env?: Env;
  /**
   * This process decides approvals (the approver, `pyfleet dev`): its approval store signs with
   * the keys of `approver.signing_keys_env`. Everywhere else the store only creates and cancels.
   */
  decides?: boolean;
  /** Build the LLM client now when serving generate, so a missing model fails start-up with `LLM_CONFIG`. */
  requireLlm?: boolean;
  /** Another pipeline builder (tests); default the real one. */
  build?: RealPipelineBuilder;
}

/** A fleet opened on the real packages, with the process's one audit log and approval store. */
export interface FleetRuntime {
  fleet: Fleet;
  built: RealPipeline;
}

/**
 * Opens the fleet of one process on the real packages: Redis, the checkpointer, analyzer,
 * generator, executors, the approval store (signing only when `decides`) and the audit log.
 * `fleet.close()` closes everything it opened.
 * @throws PyfleetError CONFIG_INVALID when `decides` and the signing keys are missing or malformed;
 *   `LLM_CONFIG` when `requireLlm` and generate is served without a model.
 */
export async function openFleet(config: PyfleetConfig, opts: OpenFleetOptions = {}): Promise<FleetRuntime> {
  const env = opts.env ?? process.env;
  const stages = opts.stages ?? [];
  // before any connection is opened, so a bad key leaves nothing to close
  const signer = opts.decides ? new DecisionSigner(signingKeys(config, env), config.approver.signing_key_id) : undefined;
  const build =
    opts.build ?? realPipelineBuilder(env, { servesGenerate: Boolean(opts.requireLlm) && stages.includes("generate"), ...(signer ? { signer } : {}) });
  return createFleet(config, {
    stages,
    modes: opts.modes ?? [],
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
    build,
  });
}
