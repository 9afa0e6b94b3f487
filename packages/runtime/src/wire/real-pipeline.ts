import { hostname } from "node:os";
import { createAnalyzer } from "@pyfleet/analysis";
import { createCheckpointer } from "@pyfleet/checkpointer";
import {
  type ApprovalVerifier,
  type Env,
  PyfleetError,
  type PyfleetConfig,
  redactedConfig,
  verifyKeys,
} from "@pyfleet/core";
import { ContainerExecutor, createExecutorRegistry, FileArtifactStore, ForkServerExecutor } from "@pyfleet/execution";
import { generatorOptionsFromConfig, OpenAICodeGenerator } from "@pyfleet/generation";
import {
  type ApprovalStore,
  AuditLog,
  type BuiltPipeline,
  type DecisionSigner,
  DecisionVerifier,
  type PipelineBuildInput,
  RedisExecutionGuard,
  SignedApprovalVerifier,
} from "@pyfleet/fleet";
import { createPipeline, type PipelineDeps } from "@pyfleet/workflow";
import { createApprovalStore } from "../approval-store-factory.js";
import { checkBackend } from "./backend-ready.js";
import { LazyGenerator } from "./lazy-generator.js";

/** Refuses every decision: a process without verify keys can never run code that needs approval. */
function noKeysVerifier(variable: string): ApprovalVerifier {
  return {
    async verify() {
      throw new PyfleetError(
        "APPROVAL_SIGNATURE_INVALID",
        `this executor has no verify keys (set ${variable} to the approver's Ed25519 public keys) and cannot verify approvals`,
      );
    },
  };
}

export interface RealPipelineOptions {
  /**
   * The process serves the generate stage: build the LLM client while building the pipeline,
   * so a missing key and base URL stop start-up with `LLM_CONFIG` instead of failing the first
   * `--task` run. Otherwise the client is built on first use (provided-code runs need no model).
   */
  servesGenerate?: boolean;
  /**
   * The approver's decision signer: the process's approval store decides with it. Without it
   * the store only creates and cancels records (workers, producers).
   */
  signer?: DecisionSigner;
}

/** The real pipeline plus the process's one audit log and approval store. */
export interface RealPipeline extends BuiltPipeline {
  audit: AuditLog;
  approvals: ApprovalStore;
}

/** Builds a {@link RealPipeline} for `createFleet`. */
export type RealPipelineBuilder = (input: PipelineBuildInput<PyfleetConfig>) => Promise<RealPipeline>;

/**
 * The production wiring: plain-Redis (or official) checkpointer, tree-sitter analyzer, OpenAI
 * generator (eager when the process serves generate, else lazy), executors of the configured
 * backends, file artifact store, and the approval store, verifier and write guard on the same Redis.
 */
export function realPipelineBuilder(env: Env = process.env, opts: RealPipelineOptions = {}): RealPipelineBuilder {
  return async ({ config, redis, keys, events, logger, clock, modes }): Promise<RealPipeline> => {
    const makeGenerator = () => OpenAICodeGenerator.create(generatorOptionsFromConfig(config), env, { logger });
    // Before anything is opened, so a configuration error leaves nothing to close.
    const generator = opts.servesGenerate ? makeGenerator() : new LazyGenerator(makeGenerator);
    const checkpointer = await createCheckpointer({ type: config.checkpointer.type, redis, url: config.redis.url, prefix: keys.checkpointPrefix });
    const audit = new AuditLog(redis, keys, clock);
    // Executors hold public keys only: they can check a decision, never make one.
    const publicKeys = verifyKeys(config, env);
    // Only the approver's store signs; everywhere else it creates and cancels records.
    const approvals = createApprovalStore(config, { redis, keys, audit, clock, signer: opts.signer ?? null });
    const executors = createExecutorRegistry(config, { env, logger });
    const deps: PipelineDeps = {
      generator,
      analyzer: createAnalyzer(config),
      executors,
      artifacts: new FileArtifactStore({
        root: config.artifacts.root,
        notebookBaseUrl: config.artifacts.notebook_base_url,
        configSnapshot: redactedConfig(config) as unknown as Record<string, unknown>,
      }),
      approvalVerifier: publicKeys
        ? new SignedApprovalVerifier(new DecisionVerifier(publicKeys), audit, clock)
        : noKeysVerifier(config.approver.verify_keys_env),
      executionGuard: new RedisExecutionGuard(redis, keys, audit, `${hostname()}:${process.pid}`),
      events,
      clock,
      logger,
      budgets: {
        maxGenerationRetries: config.python_executor.max_generation_retries,
        maxExecutionRetries: config.python_executor.max_execution_retries,
      },
      defaultExecutionMethod: config.execution.execution_method,
      executionTimeoutMs: config.python_executor.execution_timeout_seconds * 1000,
      writeSafety: {
        connectionTimeoutS: config.control_system.write_connection_timeout_seconds,
        refuseOutOfLimits: config.control_system.refuse_out_of_limits,
        enforceLimits: config.control_system.enforce_limits_at_execute,
      },
    };
    // Executors of this process's modes on a Jupyter backend start their warm kernel pools now,
    // so the first run does not pay the kernel start.
    const pooled = config.execution.execution_method === "container" ? modes.map((m) => ({ mode: m, executor: executors.get("container", m) })) : [];
    // A local fork server imports numpy, pandas and matplotlib once per mode: start it now too.
    if (config.execution.execution_method === "local") {
      for (const m of modes) {
        const executor = executors.get("local", m);
        if (executor instanceof ForkServerExecutor) executor.warm().catch((err: unknown) => logger.warn({ err, mode: m }, "fork server did not start; the first run retries"));
      }
    }
    return {
      pipeline: createPipeline(deps, checkpointer.saver),
      poolStats: () =>
        pooled.flatMap(({ mode, executor }) =>
          executor instanceof ContainerExecutor ? [{ kernel: executors.kernelName(mode), ...executor.pool.stats() }] : [],
        ),
      expireThread: (threadId, seconds) => checkpointer.expireThread(threadId, seconds),
      pruneThreadIndex: () => checkpointer.pruneThreadIndex(),
      approvals,
      audit,
      backendReady: () => checkBackend(config, env),
      close: async () => {
        await executors.close();
        await checkpointer.close();
      },
    };
  };
}
