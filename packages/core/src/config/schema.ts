import { z } from "zod";
import { crossChecks } from "./cross-checks.js";
import { envDefaults } from "./env-defaults.js";
import type { Env } from "./substitute.js";
import {
  analysisSchema,
  approverHttpSchema,
  approverSchema,
  artifactsSchema,
  checkpointerSchema,
  controlSystemSchema,
  dockerSchema,
  limitsSchema,
  modelsSchema,
  producerSchema,
  queuesSchema,
  redisSchema,
  runsSchema,
  workerSchema,
} from "./schema-fleet.js";
import { approvalSchema, executionSchema, pythonExecutorSchema } from "./schema-original.js";

/**
 * Builds the schema of everything under `framework:`. Defaults that config.yml writes as
 * `${VAR:-default}` (`ENV_DEFAULTS`) are resolved against `env`, so a file that omits a
 * key behaves exactly like the committed config.yml.
 */
export function configSchema(env: Env) {
  const d = envDefaults(env);
  return z
    .object({
      python_executor: pythonExecutorSchema,
      execution: executionSchema(d),
      approval: approvalSchema,
      redis: redisSchema(d),
      queues: queuesSchema,
      checkpointer: checkpointerSchema,
      runs: runsSchema,
      limits: limitsSchema,
      artifacts: artifactsSchema(d),
      models: modelsSchema(d),
      analysis: analysisSchema,
      control_system: controlSystemSchema,
      approver: approverSchema(d),
      docker: dockerSchema,
      producer: producerSchema,
      approver_http: approverHttpSchema,
      worker: workerSchema,
    })
    .superRefine(crossChecks, { when: () => true });
}

/** The validated config: everything under `framework:`, snake_case as in config.yml, all defaults applied. */
export type PyfleetConfig = z.output<ReturnType<typeof configSchema>>;
