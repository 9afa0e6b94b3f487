import { type Env, type PyfleetConfig, signingKeys } from "@pyfleet/core";
import { type CreateFleetOptions, createFleet, DecisionSigner, type Fleet } from "@pyfleet/fleet";
import { type RealPipeline, type RealPipelineBuilder, realPipelineBuilder } from "./wire/real-pipeline.js";

/** `createFleet`'s options (stages, modes, concurrency, logger, clock, observer), the pipeline built on the real packages. */
export interface OpenFleetOptions extends Omit<CreateFleetOptions<PyfleetConfig, RealPipeline>, "build"> {
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
  const { env = process.env, decides, requireLlm, build: custom, ...fleetOpts } = opts;
  const stages = opts.stages ?? [];
  // before any connection is opened, so a bad key leaves nothing to close
  const signer = decides ? new DecisionSigner(signingKeys(config, env), config.approver.signing_key_id) : undefined;
  const build = custom ?? realPipelineBuilder(env, { servesGenerate: Boolean(requireLlm) && stages.includes("generate"), ...(signer ? { signer } : {}) });
  return createFleet(config, { ...fleetOpts, build });
}
